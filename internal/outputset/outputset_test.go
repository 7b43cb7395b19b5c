package outputset

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/credreview/credreview/internal/atomicfile"
	"github.com/credreview/credreview/internal/cli"
)

// The tests' sets are of a made-up kind: files that carry an id "ID-N"
// in their first line, in the formats a, b and c.
var idRe = regexp.MustCompile(`ID-[0-9]+`)

func idOf(path string) string {
	b, _ := os.ReadFile(path)
	return string(idRe.Find(b))
}

func set(id string, exts ...string) *Set {
	s := &Set{What: "review", Base: "r", ID: id, IDOf: idOf, Kinds: []string{"a", "b", "c", "sh"}}
	for _, ext := range exts {
		s.Files = append(s.Files, File{Ext: ext, Write: func(w io.Writer) error {
			_, err := io.WriteString(w, id+" "+ext+"\n")
			return err
		}})
	}
	return s
}

// decided is what formats.HoldsDecisions finds in a script of a board's
// approvals.
const decided = "# credreview: the script of a change board's approvals\n"

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// files lists dir, hidden files too but the lock, and what each holds.
func files(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() == atomicfile.LockName {
			continue
		}
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		out = append(out, e.Name()+"="+strings.TrimSpace(string(b)))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// said runs Say and returns what it printed.
func said(w Written, summary string) (string, bool) {
	var b bytes.Buffer
	ok := w.Say(cli.NewUI(&b, func(io.Writer) bool { return false }), summary)
	return b.String(), ok
}

// TestPolicy pins the policy on a folder of an earlier set: the set's own
// files are replaced, saying whose they were; another review's files of
// the set's kinds go; a file of no review stays, with a warning.
func TestPolicy(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "r.a", "ID-1 a\n")
	write(t, dir, "r.b", "ID-2 b\n")
	write(t, dir, "r.c", "ID-2 c\n")
	write(t, dir, "r.sh", "my own notes\n")
	write(t, dir, "other.c", "ID-2 c\n")
	w := Write(context.Background(), dir, set("ID-2", "a", "b"))
	if got, want := files(t, dir), "other.c=ID-2 c r.a=ID-2 a r.b=ID-2 b r.c=ID-2 c r.sh=my own notes"; got != want {
		t.Errorf("files %s, want %s", got, want)
	}
	out, ok := said(w, "2 findings")
	want := "credreview: replaced " + filepath.Join(dir, "r.a") + " (review ID-1)\n" +
		"credreview: replaced " + filepath.Join(dir, "r.b") + " (the same review)\n" +
		"credreview: warning: " + filepath.Join(dir, "r.sh") + " has the name of a review's file but no review id: left as it is\n" +
		"credreview: 2 findings; wrote " + filepath.Join(dir, "r.a") + ", " + filepath.Join(dir, "r.b") + "\n"
	if !ok || out != want {
		t.Errorf("said (%v):\n%s\nwant:\n%s", ok, out, want)
	}

	// Another review: the first's files of every kind go.
	w = Write(context.Background(), dir, set("ID-3", "b"))
	if got, want := files(t, dir), "other.c=ID-2 c r.b=ID-3 b r.sh=my own notes"; got != want {
		t.Errorf("files %s, want %s", got, want)
	}
	out, _ = said(w, "1 finding")
	for _, f := range []string{"r.a", "r.c"} {
		if want := "credreview: removed " + filepath.Join(dir, f) + ": it was of another review\n"; !strings.Contains(out, want) {
			t.Errorf("said lacks %q:\n%s", want, out)
		}
	}
}

// TestDecisionsAreNeverLost pins that a file that holds a board's
// decisions is neither replaced nor removed, and that nothing is written.
func TestDecisionsAreNeverLost(t *testing.T) {
	for _, tt := range []struct {
		name, sh string
		set      *Set
	}{
		{"the set's own file", "ID-1 sh\n" + decided, set("ID-1", "a", "sh")},
		{"another review's file", "ID-1 sh\n" + decided, set("ID-2", "a")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "r.sh", tt.sh)
			w := Write(context.Background(), dir, tt.set)
			if got, want := files(t, dir), "r.sh="+strings.TrimSpace(tt.sh); got != want {
				t.Errorf("files %s, want %s", got, want)
			}
			out, ok := said(w, "s")
			want := "credreview: s\n" +
				"credreview: error: " + filepath.Join(dir, "r.sh") + " holds a change board's decisions, which this run would lose; move it, or write this review to another folder with -o\n" +
				"credreview: error: nothing was written in " + dir + ": the outputs of one review are put in place together or not at all\n"
			if ok || out != want {
				t.Errorf("said (%v):\n%s\nwant:\n%s", ok, out, want)
			}
		})
	}
	// The same review's decided script, which the set does not write,
	// stays beside it.
	dir := t.TempDir()
	write(t, dir, "r.sh", "ID-1 sh\n"+decided)
	if w := Write(context.Background(), dir, set("ID-1", "a")); len(w.Errs) > 0 || len(w.Files) != 1 {
		t.Errorf("written %q, errors %v", w.Files, w.Errs)
	}
}

// TestBeside pins a set that goes beside its review (the approved
// script): a file of another review, or of none, refuses it; its own
// file it replaces, decided or not; another review's files stay.
func TestBeside(t *testing.T) {
	beside := func(id string) *Set {
		s := set(id, "sh")
		s.Beside = func(path, id string) error { return errors.New(path + " is of " + id) }
		return s
	}
	dir := t.TempDir()
	write(t, dir, "r.a", "ID-1 a\n")
	write(t, dir, "r.sh", "ID-1 sh\n"+decided)
	if w := Write(context.Background(), dir, beside("ID-1")); len(w.Errs) > 0 {
		t.Fatal(w.Errs)
	}
	if got, want := files(t, dir), "r.a=ID-1 a r.sh=ID-1 sh"; got != want {
		t.Errorf("files %s, want %s", got, want)
	}
	for _, other := range []string{"ID-2 b\n", "no id\n"} {
		write(t, dir, "r.b", other)
		w := Write(context.Background(), dir, beside("ID-1"))
		if want := filepath.Join(dir, "r.b") + " is of " + idOf(filepath.Join(dir, "r.b")); len(w.Errs) != 1 || w.Errs[0].Error() != want {
			t.Errorf("beside %q: errors %v, want %s", other, w.Errs, want)
		}
	}
}

// TestAllOrNothing pins that when one file cannot be written, none is put
// in place, and no temporary file is left.
func TestAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "r.a", "ID-1 a\n")
	s := set("ID-2", "a", "b")
	s.Files[1].Write = func(w io.Writer) error { io.WriteString(w, "half"); return errors.New("disk full") }
	w := Write(context.Background(), dir, s)
	if got := files(t, dir); got != "r.a=ID-1 a" {
		t.Errorf("files %s", got)
	}
	out, ok := said(w, "s")
	want := "credreview: s\ncredreview: error: write " + filepath.Join(dir, "r.b") + ": disk full\n" +
		"credreview: error: nothing was written in " + dir + ": the outputs of one review are put in place together or not at all\n"
	if ok || out != want {
		t.Errorf("said (%v):\n%s\nwant:\n%s", ok, out, want)
	}
}

// TestLocked pins that a folder another run is writing in is refused.
func TestLocked(t *testing.T) {
	dir := t.TempDir()
	held, err := atomicfile.Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	w := Write(context.Background(), dir, set("ID-1", "a"))
	if len(w.Errs) != 1 || !strings.HasPrefix(w.Errs[0].Error(), dir+": another credreview run is writing there") || !strings.HasSuffix(w.Errs[0].Error(), "; wait for it to finish, or write to another folder with -o") {
		t.Errorf("errors %v", w.Errs)
	}
	if got := files(t, dir); got != "" {
		t.Errorf("files %s", got)
	}
}

// TestInterruptedWhileWriting pins that a set interrupted while its files
// are written puts none of them in place and leaves no temporary file.
func TestInterruptedWhileWriting(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	s := set("ID-1", "a", "b")
	s.Files[1].Write = func(w io.Writer) error {
		io.WriteString(w, "half a file")
		cancel() // as Ctrl-C does
		time.Sleep(50 * time.Millisecond)
		return nil
	}
	w := Write(ctx, dir, s)
	if len(w.Files) != 0 || len(w.Errs) != 1 || w.Errs[0].Error() != "interrupted while writing; nothing was written in "+dir {
		t.Errorf("written %q, errors %v", w.Files, w.Errs)
	}
	if got := files(t, dir); got != "" {
		t.Errorf("left in the folder: %s", got)
	}
}
