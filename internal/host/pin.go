package host

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// openPinned opens the executable of a custom plugin a policy pins, checks
// its sha256 against want (lowercase hex) and returns the open file with
// the path to start the plugin from: /proc/self/fd/N where the system has
// it, so what runs is exactly what was hashed even if the file at path is
// replaced in between; the path itself elsewhere. The caller closes the
// file once the plugin process has started.
func openPinned(path, want string) (*os.File, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, "", err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, "", errors.New("not a regular file")
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("hashing the executable: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		f.Close()
		return nil, "", fmt.Errorf("refused: its executable has sha256 %s, the policy pins sha256 %s", got, want)
	}
	exe := path
	if fdPath := fmt.Sprintf("/proc/self/fd/%d", f.Fd()); fileExists(fdPath) {
		exe = fdPath
	}
	return f, exe, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
