//go:build !linux

package host

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// preparePinned hashes the executable at path and checks the digest; the
// plugin is then started from path (without Linux's memfd, a change to the
// file between this check and the start is not excluded).
func preparePinned(path, want string) (*os.File, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, "", err
	}
	if !st.Mode().IsRegular() {
		return nil, "", errors.New("not a regular file")
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, maxPinnedSize+1))
	if err != nil {
		return nil, "", fmt.Errorf("reading the executable: %w", err)
	}
	if n > maxPinnedSize {
		return nil, "", fmt.Errorf("the executable is larger than the %d bytes a pinned plugin may have", maxPinnedSize)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return nil, "", fmt.Errorf("refused: its executable has sha256 %s, the policy pins sha256 %s", got, want)
	}
	return nil, path, nil
}
