//go:build unix

package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockFile is an exclusive flock on a file: the kernel releases it when the
// process ends, however it ends, so no lock is ever left behind.
type lockFile struct{ f *os.File }

func lock(path string) (*lockFile, error) {
	// Never through a symbolic link: in a shared folder, another user's link
	// would have the pid written into a file of theirs choosing.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s is a symbolic link, not credreview's lock; remove it", path)
		}
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a file credreview can lock; remove it", path)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			holder := ""
			if pid := strings.TrimSpace(string(b[:n])); pid != "" {
				if _, err := strconv.Atoi(pid); err == nil {
					holder = " (process " + pid + ")"
				}
			}
			return nil, fmt.Errorf("%w%s", ErrLocked, holder)
		}
		return nil, err
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &lockFile{f}, nil
}

func (l *lockFile) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the file drops the flock
	l.f = nil
	return err
}
