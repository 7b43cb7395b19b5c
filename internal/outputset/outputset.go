// Package outputset puts the files of one review (or one verification, one
// organisation summary, one approved script) into a folder as one set, by
// one policy that analyze, analyze --split, verify and script share: the
// folder is locked; every file is staged beside its name and all are put in
// place together or none is; another review's files of the set's kinds are
// removed, so that a folder never holds two reviews side by side; a file
// credreview did not write is left alone; and a file that holds a change
// board's decisions is never replaced nor removed, but by script, which
// makes the script of approvals again from the decided workbook (see
// Set.Beside).
package outputset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/credreview/credreview/formats"
	"github.com/credreview/credreview/internal/atomicfile"
	"github.com/credreview/credreview/internal/cli"
	"github.com/credreview/credreview/internal/custody"
)

// Set is what Write puts in a folder: the files of one review, or of one
// verification, by format.
type Set struct {
	What  string                   // "review", "verification", …: as messages name it
	Base  string                   // the files' name, without the format's extension
	ID    string                   // the review's CR-… or the verification's CV-…
	IDOf  func(path string) string // reads that id back from a file
	Kinds []string                 // every format a set of this kind may have
	Files []File                   // the files to write, in the order asked for

	// Beside is set for a set that belongs beside its review's files
	// rather than in place of them: the script of a board's approvals,
	// beside the workbook it came from. A file of Kinds that is not of the
	// set's review (or of none credreview can tell, or is not a file)
	// refuses the set, with the error Beside makes of it, where another set
	// would remove it; a script must never sit beside a review it was not
	// made from. The set's own files it replaces, of whatever review and
	// even when they hold decisions: an approved script is made again from
	// the decided workbook, which is the board's record and stays.
	Beside func(path, id string) error

	// Seal, when set, writes the set's manifest once every other file is
	// staged (see internal/custody): it is given each file's size and
	// SHA-256, as written, and returns the manifest's files, whose Exts
	// are SealExts. They are put in place with the others, or not at all.
	Seal     func(written []Digest) ([]File, error)
	SealExts []string
}

// Digest is what a file of a set was when written.
type Digest struct {
	Ext    string
	Name   string // Base.Ext
	Size   int64
	SHA256 string
}

// hashing counts and hashes what is written through it.
type hashing struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (h *hashing) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

// File is one file of a set: Base.Ext, written by Write.
type File struct {
	Ext   string // the format's name, or "exceptions.yaml"
	Write func(io.Writer) error
}

// Written says what Write did, and what went wrong.
type Written struct {
	Dir  string
	What string // the set's What

	Files    []string // put in place, in the order asked for
	Replaced []string // of them, those that replaced a file, with its review
	Removed  []string // another review's files, removed
	Kept     []string // files with a review's name that no review wrote, left alone
	Restored []string // files a killed run had moved aside, put back first
	Errs     []error
}

// Write writes a set into dir as one: the folder is locked, every file is
// written beside its name, in parallel, and only when all are complete are
// they put in place, together; after a failure or an interrupt none is.
// Files of the set's other kinds that belong to another review (or
// verification) are removed once it is in place; files credreview did not
// write are left alone. A workbook a board has decided in, or a script of
// its approvals, is never replaced nor removed: Write stops first, and says
// so.
func Write(ctx context.Context, dir string, s *Set) (out Written) {
	out.Dir, out.What = dir, s.What
	// A set that failed replaced nothing and left nothing alone: it says
	// only what went wrong.
	fail := func(err ...error) Written { return Written{Dir: dir, What: s.What, Restored: out.Restored, Errs: err} }
	set, err := lock(dir)
	if err != nil {
		return fail(err)
	}
	defer set.Close()
	out.Restored = set.Recovered

	stale, errs := s.judge(dir, &out)
	if len(errs) > 0 {
		return fail(errs...)
	}

	errc := make([]error, len(s.Files))
	digests := make([]Digest, len(s.Files))
	var wg sync.WaitGroup
	for i, f := range s.Files {
		wg.Go(func() {
			name := s.Base + "." + f.Ext
			err := set.Stage(name, func(w io.Writer) error {
				h := &hashing{w: w, h: sha256.New()}
				err := f.Write(h)
				digests[i] = Digest{Ext: f.Ext, Name: name, Size: h.n, SHA256: hex.EncodeToString(h.h.Sum(nil))}
				return err
			})
			if err != nil {
				errc[i] = fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		// The writers fail at their next write; give them a moment to
		// remove their files (a file still open cannot be removed
		// everywhere), but no more.
		set.Abort()
		select {
		case <-done:
		case <-time.After(time.Second):
		}
		return fail(fmt.Errorf("interrupted while writing; nothing was written in %s", dir))
	}
	for _, err := range errc {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		set.Abort()
		return fail(errs...)
	}
	files := s.Files
	if s.Seal != nil {
		seal, err := s.Seal(digests)
		for _, f := range seal {
			if err == nil {
				if err = set.Stage(s.Base+"."+f.Ext, f.Write); err != nil {
					err = fmt.Errorf("write %s: %w", filepath.Join(dir, s.Base+"."+f.Ext), err)
				}
			}
		}
		if err != nil {
			set.Abort()
			return fail(err)
		}
		files = append(slices.Clip(files), seal...)
	}
	placed, err := set.Commit(ctx)
	if err != nil {
		return fail(err)
	}
	for _, f := range files { // in the order asked for
		path := filepath.Join(dir, s.Base+"."+f.Ext)
		if slices.Contains(placed, path) {
			out.Files = append(out.Files, path)
		}
	}
	for _, path := range stale {
		if err := os.Remove(path); err != nil {
			out.Errs = append(out.Errs, fmt.Errorf("remove %s of another %s: %w", path, s.What, err))
			continue
		}
		out.Removed = append(out.Removed, path)
	}
	return out
}

// judge looks at the files of the set's kinds already in dir, before
// anything is written: it notes in out those the set replaces and those it
// leaves alone, and returns another review's files, to remove once the set
// is in place, or the errors that refuse the set.
func (s *Set) judge(dir string, out *Written) (stale []string, refused []error) {
	mine := map[string]bool{}
	for _, f := range s.Files {
		mine[s.Base+"."+f.Ext] = true
	}
	for _, ext := range s.SealExts {
		mine[s.Base+"."+ext] = true
	}
	for _, kind := range s.Kinds {
		name := s.Base + "." + kind
		path := filepath.Join(dir, name)
		if s.Beside != nil {
			// Anything by a review file's name counts, a link or a folder
			// too: it may pass for a file of the review.
			if _, err := os.Stat(path); err != nil || mine[name] {
				continue
			}
			if id := s.IDOf(path); id != s.ID {
				return nil, []error{s.Beside(path, id)}
			}
			continue
		}
		if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		id := s.IDOf(path)
		if formats.HoldsDecisions(path) && (mine[name] || id != s.ID) {
			refused = append(refused, fmt.Errorf("%s holds a change board's decisions, which this run would lose; move it, or write this %s to another folder with -o", path, s.What))
			continue
		}
		switch {
		case mine[name] && id == s.ID:
			out.Replaced = append(out.Replaced, path+" (the same "+s.What+")")
		case mine[name] && id != "":
			out.Replaced = append(out.Replaced, path+" ("+s.What+" "+id+")")
		case mine[name]:
			out.Replaced = append(out.Replaced, path)
		case id == "":
			out.Kept = append(out.Kept, path)
		case id != s.ID:
			stale = append(stale, path)
		}
	}
	return stale, refused
}

// lock locks an output folder, saying what to do when another run holds
// it.
func lock(dir string) (*atomicfile.Set, error) {
	set, err := atomicfile.Lock(dir)
	switch {
	case errors.Is(err, atomicfile.ErrLocked):
		return nil, fmt.Errorf("%s: %v; wait for it to finish, or write to another folder with -o", dir, err)
	case err != nil:
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	return set, nil
}

// Say prints what Write did and the run's summary, and reports whether all
// went well.
func (w Written) Say(ui *cli.UI, summary string) bool {
	for _, r := range w.Restored {
		ui.Warnf("%s", r)
	}
	for _, r := range w.Replaced {
		ui.Infof("replaced %s", r)
	}
	for _, r := range w.Removed {
		ui.Infof("removed %s: it was of another %s", r, w.What)
	}
	w.WarnKept(ui)
	if len(w.Files) > 0 {
		summary += "; wrote " + strings.Join(w.Files, ", ")
	}
	ui.Infof("%s", summary)
	for _, err := range w.Errs {
		ui.Errorf("%v", err)
	}
	if len(w.Errs) > 0 && len(w.Files) == 0 {
		ui.Errorf("nothing was written in %s: the outputs of one %s are put in place together or not at all", w.Dir, w.What)
	}
	return len(w.Errs) == 0
}

// WarnKept warns of the files Write left alone.
func (w Written) WarnKept(ui *cli.UI) {
	for _, k := range w.Kept {
		ui.Warnf("%s has the name of a %s's file but no %s id: left as it is", k, w.What, w.What)
	}
}

// SealExts are the names of a set's manifest and its signature, after its
// Base: credential-review.manifest.json and .manifest.json.sig.
const (
	ManifestExt  = "manifest.json"
	SignatureExt = "manifest.json" + custody.SigSuffix
)

// SealWith makes the set sealed: once its files are staged, a manifest of
// them (m, with their names, sizes and SHA-256 filled in) is written beside
// them, and its signature when signer is not nil. stamp gives the stamp
// digest of a file of the set that has one (a workbook), "" for none.
func (s *Set) SealWith(m custody.Manifest, signer *custody.Signer, stamp func(ext string) string) {
	s.SealExts = []string{ManifestExt, SignatureExt}
	s.Seal = func(written []Digest) ([]File, error) {
		m := m
		m.Files = nil
		for _, d := range written {
			f := custody.File{Name: d.Name, Size: d.Size, SHA256: d.SHA256, Kind: d.Ext}
			if stamp != nil {
				f.Stamp = stamp(d.Ext)
			}
			m.Files = append(m.Files, f)
		}
		raw := custody.Marshal(&m)
		files := []File{{Ext: ManifestExt, Write: func(w io.Writer) error { _, err := w.Write(raw); return err }}}
		if signer != nil {
			sig, err := signer.Sign(raw)
			if err != nil {
				return nil, fmt.Errorf("sign the manifest: %w", err)
			}
			files = append(files, File{Ext: SignatureExt, Write: func(w io.Writer) error { _, err := w.Write(sig); return err }})
		}
		return files, nil
	}
}
