package host

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// preparePinned copies the executable at path into a sealed memfd while
// hashing it, checks the digest, and returns the memfd with the path that
// executes it.
func preparePinned(path, want string) (*os.File, string, error) {
	f, err := openExecutable(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	fd, err := unix.MemfdCreate("vmafx-trust-pinned-plugin", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, "", fmt.Errorf("creating an in-memory copy: %w", err)
	}
	mem := os.NewFile(uintptr(fd), "pinned "+path)
	fail := func(err error) (*os.File, string, error) {
		mem.Close()
		return nil, "", err
	}
	if err := copyChecked(mem, f, want); err != nil {
		return fail(err)
	}
	head := make([]byte, 2)
	if _, err := mem.ReadAt(head, 0); err == nil && bytes.Equal(head, []byte("#!")) {
		return fail(errors.New("refused: it is a script (#!); a pinned plugin must be a compiled executable, which the host starts from the very bytes it hashed"))
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SEAL|unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE); err != nil {
		return fail(fmt.Errorf("sealing the in-memory copy: %w", err))
	}
	exe := fmt.Sprintf("/proc/self/fd/%d", fd)
	if !fileExists(exe) {
		return fail(errors.New("refused: /proc is not mounted, so the plugin cannot be started from the bytes that were hashed"))
	}
	return mem, exe, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
