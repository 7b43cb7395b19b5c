//go:build !unix

package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"strconv"
)

// lockFile is a file created exclusively and removed at the end: where
// there is no flock, a run that crashed leaves it behind, and the error
// says how to clear it.
type lockFile struct{ path string }

func lock(path string) (*lockFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("%w (if no credreview is running, remove %s)", ErrLocked, path)
	}
	if err != nil {
		return nil, err
	}
	f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
	f.Close()
	return &lockFile{path}, nil
}

func (l *lockFile) release() error {
	if l == nil || l.path == "" {
		return nil
	}
	err := os.Remove(l.path)
	l.path = ""
	return err
}
