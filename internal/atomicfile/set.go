package atomicfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
)

// Set is a group of files that belong together in one directory, such as
// the outputs of one review: each is staged as a temporary file beside its
// final name, and only when every one is complete are they put in place,
// together, or, after a failure or an interrupt, none of them. The
// directory is locked while a set is written, so that two runs never mix
// their files.
type Set struct {
	dir  string
	lock *lockFile

	// Recovered says what Lock put right of a run that was killed in the
	// directory before it could clean up (see recover).
	Recovered []string

	mu      sync.Mutex
	staged  map[string]string // final path -> temporary file
	order   []string
	pending map[string]bool // temporary files being written
	aborted bool
}

// ErrAborted is the error of a Stage that was still writing when the set
// was aborted.
var ErrAborted = errors.New("the set was abandoned")

// LockName is the name of the lock file a Set keeps in its directory. It
// stays after the run: a lock on a file that is removed and made again is
// no lock.
const LockName = ".credreview.lock"

// ErrLocked is wrapped by the error of Lock when another run holds the lock.
var ErrLocked = errors.New("another credreview run is writing there")

// Lock makes dir if it does not exist and takes its lock; a second writer
// fails at once with ErrLocked rather than waiting behind the first.
func Lock(dir string) (*Set, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	l, err := lock(filepath.Join(dir, LockName))
	if err != nil {
		return nil, err
	}
	s := &Set{dir: dir, lock: l, staged: map[string]string{}, pending: map[string]bool{}}
	s.Recovered = s.recover()
	return s, nil
}

// asidePattern is a file Commit moved aside, .NAME.old.PID, and
// stagedPattern one Stage was writing, .NAME.RANDOM.
var asidePattern = regexp.MustCompile(`^\.(.+)\.old\.([0-9]+)$`)

// recover puts right what a run killed in the directory left behind (it
// held the lock, which is now this run's, so it is over): the files it had
// moved aside to put its own in place are put back, so the folder holds
// what it held before that run, and its temporary files are removed. A
// SIGKILL between the renames of a commit is the one way to leave them;
// without this, they would stay hidden for good.
func (s *Set) recover() []string {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil
	}
	var said []string
	for _, e := range entries {
		m := asidePattern.FindStringSubmatch(e.Name())
		if m == nil || m[2] == strconv.Itoa(os.Getpid()) {
			continue
		}
		aside, path := filepath.Join(s.dir, e.Name()), filepath.Join(s.dir, m[1])
		if err := os.Rename(aside, path); err != nil {
			said = append(said, fmt.Sprintf("%s, moved aside by a run that was killed, could not be put back: %v", aside, err))
			continue
		}
		said = append(said, fmt.Sprintf("%s: put back as it was before a run that was killed while putting its files in place", path))
	}
	return said
}

// Stage writes one file of the set, named name in the set's directory, to a
// temporary file there. Stage may be called from several goroutines, and
// Abort may be called while they write: their writes fail from then on,
// and what they wrote is removed.
func (s *Set) Stage(name string, write func(io.Writer) error) (err error) {
	path := filepath.Join(s.dir, name)
	// Made and registered under the lock, so that an Abort either sees the
	// file or comes before it is made.
	s.mu.Lock()
	if s.aborted {
		s.mu.Unlock()
		return ErrAborted
	}
	tmp, err := os.CreateTemp(s.dir, "."+name+".*")
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.pending[tmp.Name()] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pending, tmp.Name())
		s.mu.Unlock()
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(&abortable{s: s, w: tmp}, 256<<10)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aborted {
		os.Remove(tmp.Name())
		return ErrAborted
	}
	if old, ok := s.staged[path]; ok {
		os.Remove(old)
	} else {
		s.order = append(s.order, path)
	}
	s.staged[path] = tmp.Name()
	return nil
}

// abortable is a staged file's writer, which fails once the set is
// abandoned, so that its writer stops soon.
type abortable struct {
	s *Set
	w io.Writer
}

func (a *abortable) Write(p []byte) (int, error) {
	a.s.mu.Lock()
	aborted := a.s.aborted
	a.s.mu.Unlock()
	if aborted {
		return 0, ErrAborted
	}
	return a.w.Write(p)
}

// Commit puts every staged file in place, unless ctx is done, in which
// case it removes them and puts none in place. The files they replace are
// first moved aside, so that if one cannot be put in place (a file open in
// another program, on some systems) every file is put back as it was: the
// folder never holds part of one set beside part of another. Renames take
// no time worth interrupting, so once they begin they all run.
func (s *Set) Commit(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aborted {
		return nil, ErrAborted
	}
	if err := ctx.Err(); err != nil {
		s.abort()
		return nil, err
	}
	defer func() {
		s.staged = map[string]string{}
		s.order = nil
		s.aborted = true // a set is put in place once
	}()
	// A name held by something other than a file (a directory, a device)
	// cannot be moved aside and put back safely: refuse it first.
	var errs []error
	for _, path := range s.order {
		if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() && fi.Mode()&os.ModeSymlink == 0 {
			errs = append(errs, fmt.Errorf("put %s in place: it is a %s, not a file", path, kindOf(fi.Mode())))
		}
	}
	if len(errs) > 0 {
		s.abort()
		return nil, errors.Join(errs...)
	}
	type moved struct{ path, aside string }
	var aside []moved
	var placed []string
	undo := func(cause error) ([]string, error) {
		errs := []error{cause}
		for _, p := range placed {
			if err := os.Remove(p); err != nil {
				errs = append(errs, fmt.Errorf("take %s back: %w", p, err))
			}
		}
		for _, m := range aside {
			if err := os.Rename(m.aside, m.path); err != nil {
				errs = append(errs, fmt.Errorf("put %s back: %w (it is in %s)", m.path, err, m.aside))
			}
		}
		s.abort()
		return nil, errors.Join(errs...)
	}
	for _, path := range s.order {
		if _, err := os.Lstat(path); err != nil {
			continue
		}
		old := filepath.Join(s.dir, "."+filepath.Base(path)+".old."+strconv.Itoa(os.Getpid()))
		if err := os.Rename(path, old); err != nil {
			return undo(fmt.Errorf("move %s aside: %w", path, err))
		}
		aside = append(aside, moved{path, old})
	}
	for _, path := range s.order {
		if err := os.Rename(s.staged[path], path); err != nil {
			return undo(fmt.Errorf("put %s in place: %w", path, err))
		}
		placed = append(placed, path)
	}
	for _, m := range aside {
		os.Remove(m.aside)
	}
	return placed, nil
}

// Abort removes every staged file, and every file still being staged;
// none is put in place, and the set stages nothing more.
func (s *Set) Abort() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abort()
}

func (s *Set) abort() {
	s.aborted = true
	for _, tmp := range s.staged {
		os.Remove(tmp)
	}
	for tmp := range s.pending {
		os.Remove(tmp) // its writer still holds it; the name goes now
	}
	s.staged = map[string]string{}
	s.order = nil
}

// Close removes what is still staged and releases the directory's lock.
func (s *Set) Close() error {
	s.Abort()
	return s.lock.release()
}

// Dir is the set's directory.
func (s *Set) Dir() string { return s.dir }

func kindOf(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&os.ModeNamedPipe != 0:
		return "named pipe"
	case m&os.ModeDevice != 0:
		return "device"
	case m&os.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}
