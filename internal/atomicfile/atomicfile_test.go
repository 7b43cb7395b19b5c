package atomicfile

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var _ = flag.Bool("update", false, "rewrite golden files (none in this package)")

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := Write(context.Background(), path, func(w io.Writer) error { _, err := io.WriteString(w, "whole"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "whole" {
		t.Errorf("content %q", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}

	if err := WriteDurable(context.Background(), path, func(w io.Writer) error { _, err := io.WriteString(w, "whole"); return err }); err != nil {
		t.Fatal(err)
	}

	// A failing writer leaves the old file and no temporary file.
	boom := errors.New("boom")
	if err := Write(context.Background(), path, func(w io.Writer) error { io.WriteString(w, "half"); return boom }); !errors.Is(err, boom) {
		t.Errorf("error %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "whole" {
		t.Errorf("a failed write replaced the file: %q", b)
	}

	// So does an interrupted run.
	ctx, cancel := context.WithCancel(context.Background())
	err := Write(ctx, path, func(w io.Writer) error { cancel(); _, err := io.WriteString(w, "new"); return err })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "whole" {
		t.Errorf("an interrupted write replaced the file: %q", b)
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Errorf("files left: %q", got)
	}
}
