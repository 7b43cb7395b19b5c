package atomicfile

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func stage(t *testing.T, s *Set, name, content string) {
	t.Helper()
	if err := s.Stage(name, func(w io.Writer) error { _, err := io.WriteString(w, content); return err }); err != nil {
		t.Fatal(err)
	}
}

// TestSetCommit pins that a set's files appear together, replacing what
// was there, and leave nothing else behind but the lock.
func TestSetCommit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	s, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	os.WriteFile(filepath.Join(dir, "b"), []byte("old"), 0o644)
	stage(t, s, "a", "A")
	stage(t, s, "b", "B")
	if got := entries(t, dir); len(got) != 4 { // the lock, b, and two staged files
		t.Errorf("while staged: %q", got)
	}
	done, err := s.Commit(context.Background())
	if err != nil || strings.Join(done, " ") != filepath.Join(dir, "a")+" "+filepath.Join(dir, "b") {
		t.Fatalf("commit: %q, %v", done, err)
	}
	if got := strings.Join(entries(t, dir), " "); got != LockName+" a b" {
		t.Errorf("after commit: %q", got)
	}
	for name, want := range map[string]string{"a": "A", "b": "B"} {
		if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != want {
			t.Errorf("%s holds %q, want %q", name, b, want)
		}
	}
}

// TestSetAllOrNothing pins that a failure, an interrupt or an abort puts no
// file of the set in place and removes every temporary file.
func TestSetAllOrNothing(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, s *Set, dir string) error
		want string
	}{
		{"a directory where a file goes", func(t *testing.T, s *Set, dir string) error {
			os.Mkdir(filepath.Join(dir, "b"), 0o755)
			stage(t, s, "a", "A")
			stage(t, s, "b", "B")
			_, err := s.Commit(context.Background())
			return err
		}, "it is a directory, not a file"},
		{"interrupted before the commit", func(t *testing.T, s *Set, dir string) error {
			stage(t, s, "a", "A")
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := s.Commit(ctx)
			return err
		}, "context canceled"},
		{"aborted while a file is written", func(t *testing.T, s *Set, dir string) error {
			stage(t, s, "a", "A")
			err := s.Stage("b", func(w io.Writer) error {
				io.WriteString(w, "half")
				s.Abort()
				return nil
			})
			if _, cerr := s.Commit(context.Background()); !errors.Is(cerr, ErrAborted) {
				t.Errorf("commit after abort: %v", cerr)
			}
			return err
		}, "abandoned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Lock(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			err = tt.run(t, s, dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
			for _, e := range entries(t, dir) {
				if e != LockName && e != "b" {
					t.Errorf("left in the folder: %s", e)
				}
			}
		})
	}
}

// TestLock pins that a second writer of a folder is refused, naming the
// first, until the first is done.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	first, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "(process "+strconv.Itoa(os.Getpid())+")") {
		t.Errorf("second lock: %v", err)
	}
	first.Close()
	second, err := Lock(dir)
	if err != nil {
		t.Fatalf("after the first was released: %v", err)
	}
	second.Close()
}

// TestCommitRollsBack pins that when one file of a set cannot be put in
// place, the files it would have replaced are put back as they were.
func TestCommitRollsBack(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"a": "old a", "b": "old b"} {
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
	}
	s, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stage(t, s, "a", "new a")
	stage(t, s, "b", "new b")
	os.Remove(s.staged[filepath.Join(dir, "b")]) // b's rename will fail
	if _, err := s.Commit(context.Background()); err == nil || !strings.Contains(err.Error(), "put "+filepath.Join(dir, "b")+" in place") {
		t.Errorf("commit: %v", err)
	}
	for name, want := range map[string]string{"a": "old a", "b": "old b"} {
		if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != want {
			t.Errorf("%s holds %q, want %q", name, b, want)
		}
	}
	if got := strings.Join(entries(t, dir), " "); got != LockName+" a b" {
		t.Errorf("left in the folder: %q", got)
	}
}

// TestLockRefusesALink pins that the lock is never taken through a
// symbolic link, which would overwrite the file it points to.
func TestLockRefusesALink(t *testing.T) {
	dir := t.TempDir()
	precious := filepath.Join(t.TempDir(), "precious")
	os.WriteFile(precious, []byte("keep me"), 0o644)
	if err := os.Symlink(precious, filepath.Join(dir, LockName)); err != nil {
		t.Skip(err)
	}
	if _, err := Lock(dir); err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
		t.Errorf("Lock: %v", err)
	}
	if b, _ := os.ReadFile(precious); string(b) != "keep me" {
		t.Errorf("the link's target now holds %q", b)
	}
}

// TestAbortStopsWriters pins that a writer still at work when its set is
// abandoned is stopped at its next write, and leaves nothing behind.
func TestAbortStopsWriters(t *testing.T) {
	dir := t.TempDir()
	s, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	started, aborted := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- s.Stage("big", func(w io.Writer) error {
			close(started)
			<-aborted
			for range 1000 {
				if _, err := w.Write(make([]byte, 64<<10)); err != nil {
					return err
				}
			}
			return nil
		})
	}()
	<-started
	s.Abort()
	close(aborted)
	if err := <-done; !errors.Is(err, ErrAborted) {
		t.Errorf("the writer ended with %v, want ErrAborted", err)
	}
	if err := s.Stage("late", func(io.Writer) error { return nil }); !errors.Is(err, ErrAborted) {
		t.Errorf("a Stage after Abort: %v", err)
	}
	if got := strings.Join(entries(t, dir), " "); got != LockName {
		t.Errorf("left in the folder: %q", got)
	}
}

// TestLockRecovers pins that a run killed between the renames of its
// commit (SIGKILL: nothing of it runs again) leaves nothing hidden for
// good: the next Lock puts back what it had moved aside, over what it had
// put in place, and says so.
func TestLockRecovers(t *testing.T) {
	dir := t.TempDir()
	// The killed run, pid 1 (not this one): it moved both files aside,
	// then placed its a.md, then was killed.
	os.WriteFile(filepath.Join(dir, ".a.md.old.1"), []byte("old a"), 0o644)
	os.WriteFile(filepath.Join(dir, ".b.json.old.1"), []byte("old b"), 0o644)
	os.WriteFile(filepath.Join(dir, "a.md"), []byte("new a"), 0o644)
	s, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, want := range map[string]string{"a.md": "old a", "b.json": "old b"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != want {
			t.Errorf("%s: %q, %v; want %q", name, b, err, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".old.") {
			t.Errorf("%s is left", e.Name())
		}
	}
	if len(s.Recovered) != 2 || !strings.Contains(s.Recovered[0], "a.md: put back as it was before a run that was killed") {
		t.Errorf("recovered: %q", s.Recovered)
	}
}
