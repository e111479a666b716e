package host

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxPinnedSize bounds the executable of a pinned plugin, which is read
// whole (into memory, on Linux) before it starts.
const maxPinnedSize = 512 << 20

// Pin prepares a custom plugin's Source for a policy that pins it to the
// sha256 want (lowercase hex): the executable is hashed now, before any
// plugin starts, and a mismatch is an error naming both digests. On Linux
// the verified bytes are copied into a sealed in-memory file and the plugin
// is started from that copy, so changing the file on disk afterwards — by
// rename or by rewriting it in place — changes nothing; elsewhere the
// plugin is started from its path.
func Pin(src Source, want string) (Source, error) {
	f, exe, err := preparePinned(src.Path, want)
	if err != nil {
		return src, &LaunchError{Plugin: src.Name, Path: src.Path, Err: err}
	}
	src.Pinned = want
	src.pinned = &pinnedExe{file: f, exe: exe}
	return src, nil
}

// pinnedExe is what a pinned plugin is started from: exe, kept valid by
// file (nil when exe is the plugin's own path) until it has started.
type pinnedExe struct {
	file *os.File
	exe  string
}

func (p *pinnedExe) close() {
	if p.file != nil {
		p.file.Close()
	}
}

// openExecutable opens a pinned plugin's executable, which must be a
// regular file.
func openExecutable(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, errors.New("not a regular file")
	}
	return f, nil
}

// copyChecked copies the executable f to w (io.Discard to only hash it),
// at most maxPinnedSize bytes, and checks that its sha256 is want.
func copyChecked(w io.Writer, f *os.File, want string) error {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(f, maxPinnedSize+1))
	if err != nil {
		return fmt.Errorf("reading the executable: %w", err)
	}
	if n > maxPinnedSize {
		return fmt.Errorf("the executable is larger than the %d bytes a pinned plugin may have", maxPinnedSize)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("refused: its executable has sha256 %s, the policy pins sha256 %s", got, want)
	}
	return nil
}
