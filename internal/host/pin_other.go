//go:build !linux

package host

import (
	"io"
	"os"
)

// preparePinned hashes the executable at path and checks the digest; the
// plugin is then started from path (without Linux's memfd, a change to the
// file between this check and the start is not excluded).
func preparePinned(path, want string) (*os.File, string, error) {
	f, err := openExecutable(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	if err := copyChecked(io.Discard, f, want); err != nil {
		return nil, "", err
	}
	return nil, path, nil
}
