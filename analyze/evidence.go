package analyze

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/credreview/credreview/internal/custody"
)

// The evidence's chain of custody: a folder of evidence that holds an
// evidence manifest (credential-evidence.json, written by credreview fetch
// or credreview seal) is held to it. Every report and key inventory read
// from the folder must be listed with the same SHA-256, every file listed
// must be there, and a file the manifest does not list is an error: a file
// added after the evidence was sealed, a decoy. With an allowed-signers
// file, the manifest's signature must verify. Every output says what was
// checked (EvidenceCheck.Statement), or that nothing was.

// EvidenceCheck is what the check of one evidence manifest found.
type EvidenceCheck struct {
	Manifest string // the manifest's path
	SHA256   string // of its bytes
	SealedBy string // fetch or seal
	Created  string // when it was sealed
	Files    int    // the files it lists

	// Signed says the manifest has a signature; Verified that it was
	// checked against the allowed signers, by Principal, with the key of
	// Fingerprint.
	Signed, Verified       bool
	Principal, Fingerprint string

	// Added, Altered and Missing count the files read from the folder
	// that the manifest does not list, those whose SHA-256 differs, and
	// those it lists that are not there; Unreadable is set for a manifest
	// or signature that could not be read or did not verify.
	Added, Altered, Missing int
	Unreadable              string
}

// Intact reports whether the evidence is as it was sealed: every file
// listed and unchanged, nothing added, and the signature (if checked)
// good.
func (e *EvidenceCheck) Intact() bool {
	return e.Unreadable == "" && e.Added == 0 && e.Altered == 0 && e.Missing == 0
}

// Statement says in a line what the check found, as every output shows
// it.
func (e *EvidenceCheck) Statement() string {
	if e.Unreadable != "" {
		return fmt.Sprintf("evidence: %s: %s; its integrity is not established", e.Manifest, e.Unreadable)
	}
	s := fmt.Sprintf("evidence: %d files sealed at %s by %s", e.Files, e.Created, e.SealedBy)
	switch {
	case e.Verified:
		s += fmt.Sprintf(", signature by %s (%s)", e.Fingerprint, e.Principal)
	case e.Signed:
		s += ", signed, the signature not checked (give --allowed-signers)"
	default:
		s += ", not signed"
	}
	if e.Intact() {
		return s + ", intact"
	}
	var what []string
	for _, c := range []struct {
		n    int
		what string
	}{{e.Added, "added"}, {e.Altered, "altered"}, {e.Missing, "missing"}} {
		if c.n > 0 {
			what = append(what, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	return s + ", NOT intact: " + strings.Join(what, ", ") + " (see the errors)"
}

// NoEvidenceStatement is what the outputs say of a review whose evidence
// had no manifest.
const NoEvidenceStatement = "no manifest: the evidence's integrity was not checked"

// EvidenceStatements are the statements of a review's evidence checks, or
// NoEvidenceStatement.
func (r *Result) EvidenceStatements() []string {
	if len(r.Evidence) == 0 {
		return []string{NoEvidenceStatement}
	}
	var out []string
	for i := range r.Evidence {
		out = append(out, r.Evidence[i].Statement())
	}
	return out
}

// evidenceDir is a folder governed by an evidence manifest.
type evidenceDir struct {
	dir, manifest string
}

// isManifestFile reports whether a file name is an evidence manifest or its
// signature: read as the manifest, never as an input.
func isManifestFile(name string) bool {
	return name == custody.EvidenceName || name == custody.EvidenceName+custody.SigSuffix
}

// findEvidence lists the evidence manifests of a run: those --evidence
// names, and one at the top of each folder given.
func findEvidence(paths, named []string) []evidenceDir {
	var out []evidenceDir
	seen := map[string]bool{}
	add := func(manifest string) {
		abs, err := filepath.Abs(manifest)
		if err != nil || seen[abs] {
			return
		}
		seen[abs] = true
		out = append(out, evidenceDir{dir: filepath.Dir(manifest), manifest: manifest})
	}
	for _, m := range named {
		add(m)
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			m := filepath.Join(p, custody.EvidenceName)
			if _, err := os.Stat(m); err == nil {
				add(m)
			}
		}
	}
	return out
}

// checkEvidence holds the inputs read from each manifest's folder to the
// manifest, and records what it found in res.
func checkEvidence(res *Result, dirs []evidenceDir, inputs []input, files []fileResult, allowedSigners string) {
	var verifier *custody.Verifier
	if allowedSigners != "" {
		v, err := custody.LoadVerifier(allowedSigners)
		if err != nil {
			res.Errors = append(res.Errors, Problem{Source: allowedSigners, Message: "the allowed signers cannot be read: " + err.Error() + "; no signature was checked",
				Hint: "give a file in ssh-keygen's ALLOWED SIGNERS format: principals, then the public key"})
		}
		verifier = v
	}
	for _, d := range dirs {
		res.Evidence = append(res.Evidence, checkManifest(res, d, inputs, files, verifier, allowedSigners != ""))
	}
}

func checkManifest(res *Result, d evidenceDir, inputs []input, files []fileResult, verifier *custody.Verifier, wantSigned bool) EvidenceCheck {
	e := EvidenceCheck{Manifest: d.manifest}
	fail := func(msg, hint string) EvidenceCheck {
		e.Unreadable = msg
		res.Errors = append(res.Errors, Problem{Source: d.manifest, Message: msg + "; the evidence's integrity is not established", Hint: hint})
		return e
	}
	m, raw, err := custody.Read(d.manifest)
	if err != nil {
		return fail("the evidence manifest cannot be read: "+describeOpenError(err), "seal the evidence again (credreview seal DIR), or fetch it again")
	}
	e.SHA256, e.SealedBy, e.Created, e.Files = custody.Digest(raw), m.SealedBy, m.Created, len(m.Files)
	if m.Kind != custody.KindEvidence {
		return fail(fmt.Sprintf("a manifest of a %s, not of evidence", m.Kind), "")
	}
	sig, err := custody.ReadSignature(d.manifest)
	switch {
	case err != nil:
		return fail("its signature cannot be read: "+err.Error(), "")
	case sig != nil:
		e.Signed = true
	}
	if wantSigned {
		switch {
		case sig == nil:
			return fail("not signed, and --allowed-signers asks for a signature", "fetch or seal the evidence with --sign-key, or analyse without --allowed-signers")
		case verifier != nil:
			s, err := verifier.Verify(raw, sig)
			if err != nil {
				return fail("its signature does not verify against "+verifier.Path+": "+err.Error(), "the manifest was changed after it was signed, or signed by a key the allowed signers do not name")
			}
			e.Verified, e.Principal, e.Fingerprint = true, s.Principal, s.Fingerprint
		}
	}
	listed := map[string]custody.File{}
	for _, f := range m.Files {
		listed[f.Name] = f
	}
	present := map[string]bool{}
	for i, in := range inputs {
		rel, ok := custody.Rel(d.dir, in.name)
		if !ok || in.name == Stdin {
			continue
		}
		present[rel] = true
		f, ok := listed[rel]
		if !ok {
			e.Added++
			res.Errors = append(res.Errors, Problem{Source: in.name, Message: fmt.Sprintf("not in the evidence manifest %s: a file added after the evidence was sealed (a decoy?); it is analysed, but nothing vouches for it", d.manifest),
				Hint: "remove the file, or seal the evidence again if it belongs (credreview seal DIR)"})
			continue
		}
		sum := inputSHA256(&files[i])
		if sum == "" {
			_, s, err := custody.HashFile(in.name)
			if err != nil {
				continue // its reading failed, an error already
			}
			sum = s
		}
		if sum != f.SHA256 {
			e.Altered++
			res.Errors = append(res.Errors, Problem{Source: in.name, Message: fmt.Sprintf("altered since the evidence was sealed: its SHA-256 is %s, the manifest %s says %s", sum, d.manifest, f.SHA256),
				Hint: "analyse the evidence as it was sealed: fetch it again, or take it from where it was kept"})
		}
	}
	var missing []string
	for name := range listed {
		if !present[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	for _, name := range missing {
		e.Missing++
		res.Errors = append(res.Errors, Problem{Source: filepath.Join(d.dir, filepath.FromSlash(name)), Message: fmt.Sprintf("listed in the evidence manifest %s but not there: the evidence is incomplete", d.manifest),
			Hint: "bring back the file, or fetch the evidence again"})
	}
	return e
}

// inputSHA256 is the SHA-256 of an input as read, "" when it was not read
// to its end or is neither a report nor an inventory.
func inputSHA256(f *fileResult) string {
	switch {
	case f.report != nil:
		return f.report.SHA256
	case f.inventory != nil:
		return f.inventory.SHA256
	}
	return ""
}
