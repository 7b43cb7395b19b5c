// Package custody is credreview's chain of custody: manifests that list
// the files of a package (the evidence fetch saves or seal seals, a
// review analyze writes, a verification) with each file's size and
// SHA-256, and OpenSSH signatures of them (SSHSIG, through
// internal/sshsig) that ssh-keygen -Y verify checks as well as credreview.
//
// It is a package of its own so that the domain (analyze), the commands
// and fetch share one shape of manifest and one way to sign and check it,
// and so that the domain's dependency on golang.org/x/crypto goes through
// one small door.
package custody

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/credreview/credreview/internal/sshsig"
)

// Namespace is the SSHSIG namespace of every credreview signature:
// ssh-keygen -Y verify -n credreview checks them, and a signature made for
// another purpose (git's, a file's) is never taken for one of these.
const Namespace = "credreview"

// EvidenceName is the name of an evidence manifest, at the top of the
// folder of evidence it lists; SigSuffix names a manifest's signature.
const (
	EvidenceName = "credential-evidence.json"
	SigSuffix    = ".sig"
)

// Version is the manifests' version.
const Version = 1

// The kinds of manifest.
const (
	KindEvidence     = "evidence"
	KindReview       = "review"
	KindVerification = "verification"
)

// What a file of evidence is, as File.Kind says it.
const (
	FileReport    = "credential-report" // a credential report, CSV or get-credential-report JSON
	FileInventory = "access-keys"       // a key inventory, as list-access-keys prints it
	FileOther     = "other"             // anything else analyze walks over
)

// Manifest lists the files of a package. Names are relative to the
// manifest's folder, with forward slashes, sorted; the JSON is written
// with sorted files and no clock but Created, so that a manifest of the
// same files is the same bytes.
type Manifest struct {
	ManifestVersion int    `json:"manifest_version"`
	Kind            string `json:"kind"`
	Tool            Tool   `json:"tool"`
	// SealedBy is the command that wrote it: fetch, seal, analyze or verify.
	SealedBy string `json:"sealed_by"`
	// Created is when it was written (fetch and seal: the clock), or, for
	// a review or verification, the as-of time of its evidence, so that
	// the package stays reproducible.
	Created string `json:"created"`
	// ReviewID is the review's (or verification's) id.
	ReviewID string `json:"review_id,omitempty"`
	// Accounts are the accounts fetch exported, with the identity of the
	// credentials that did.
	Accounts []Account `json:"accounts,omitempty"`
	// Evidence are the evidence manifests a review checked its inputs
	// against.
	Evidence []EvidenceRef `json:"evidence,omitempty"`
	Files    []File        `json:"files"`
}

// Tool names the program that wrote a manifest.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Account is one account fetch exported.
type Account struct {
	AccountID string `json:"account_id"`
	// Caller is what sts get-caller-identity said of the credentials.
	CallerARN     string `json:"caller_arn"`
	CallerUserID  string `json:"caller_user_id"`
	CallerAccount string `json:"caller_account"`
	Target        string `json:"target"` // the profile or role it was fetched with
}

// File is one file of a package.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Kind says what it is: credential-report, access-keys, other; or,
	// in a review, its format.
	Kind          string `json:"kind,omitempty"`
	AccountID     string `json:"account_id,omitempty"`
	GeneratedTime string `json:"generated_time,omitempty"`
	// Stamp is, for a review's workbook, the digest of its stamp: the
	// workbook itself changes as the board decides in it, its stamp never.
	Stamp string `json:"stamp,omitempty"`
}

// EvidenceRef names an evidence manifest a review checked, and what the
// check said.
type EvidenceRef struct {
	Name      string `json:"name"`
	SHA256    string `json:"sha256"`
	Statement string `json:"statement"`
}

// Marshal writes a manifest as it is saved: indented JSON, files sorted
// by name, a final newline.
func Marshal(m *Manifest) []byte {
	c := *m
	c.Files = append([]File(nil), m.Files...)
	sort.Slice(c.Files, func(i, j int) bool { return c.Files[i].Name < c.Files[j].Name })
	b, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		panic(err) // a Manifest always marshals
	}
	return append(b, '\n')
}

// maxManifest caps a manifest's size: a manifest of a thousand accounts
// is under a megabyte.
const maxManifest = 16 << 20

// Read reads a manifest, and returns its bytes (what a signature is of)
// and their SHA-256.
func Read(path string) (*Manifest, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxManifest+1))
	if err != nil {
		return nil, nil, err
	}
	if len(b) > maxManifest {
		return nil, nil, fmt.Errorf("larger than %d MiB: not a manifest credreview wrote", maxManifest>>20)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, nil, fmt.Errorf("not a manifest credreview wrote: %v", err)
	}
	if m.ManifestVersion != Version {
		return nil, nil, fmt.Errorf("a manifest of version %d; this credreview reads version %d", m.ManifestVersion, Version)
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if !validName(f.Name) {
			return nil, nil, fmt.Errorf("it lists %q, which is not a file of its folder", f.Name)
		}
		if seen[f.Name] {
			return nil, nil, fmt.Errorf("it lists %s twice", f.Name)
		}
		seen[f.Name] = true
		if len(f.SHA256) != 64 {
			return nil, nil, fmt.Errorf("its SHA-256 of %s is not one", f.Name)
		}
	}
	return &m, b, nil
}

// validName reports whether a listed name stays in the manifest's folder.
func validName(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") {
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
	}
	return true
}

// Digest is the SHA-256 of bytes, in hex.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// HashFile is a file's size and SHA-256.
func HashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// Signer signs manifests.
type Signer struct {
	key ssh.Signer
}

// LoadSigner loads the OpenSSH private key keyFile: from ssh-agent when it
// holds the key, else the file, asking passphrase for an encrypted one
// (nil: no terminal to ask on).
func LoadSigner(keyFile string, passphrase func() ([]byte, error)) (*Signer, error) {
	k, err := sshsig.LoadSigner(keyFile, passphrase)
	if err != nil {
		return nil, err
	}
	return &Signer{key: k}, nil
}

// Fingerprint is the signing key's SHA256 fingerprint, as ssh-keygen -l
// prints it.
func (s *Signer) Fingerprint() string { return ssh.FingerprintSHA256(s.key.PublicKey()) }

// Sign signs a manifest's bytes: the armored SSHSIG signature, saved as
// the manifest's name and SigSuffix.
func (s *Signer) Sign(manifest []byte) ([]byte, error) {
	return sshsig.Sign(s.key, Namespace, bytes.NewReader(manifest))
}

// Verifier checks signatures against an allowed-signers file, as
// ssh-keygen -Y verify -f FILE does.
type Verifier struct {
	Path    string
	allowed []sshsig.AllowedSigner
}

// LoadVerifier reads an allowed-signers file.
func LoadVerifier(path string) (*Verifier, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	allowed, err := sshsig.ParseAllowedSigners(io.LimitReader(f, maxManifest))
	if err != nil {
		return nil, err
	}
	if len(allowed) == 0 {
		return nil, errors.New("it names no signer")
	}
	return &Verifier{Path: path, allowed: allowed}, nil
}

// Signature is who signed a manifest.
type Signature struct {
	Principal   string // the identity in the allowed-signers file
	Fingerprint string // SHA256:…
}

// Verify checks the signature of a manifest's bytes.
func (v *Verifier) Verify(manifest, sig []byte) (Signature, error) {
	s, err := sshsig.VerifyAllowed(sig, bytes.NewReader(manifest), Namespace, "", v.allowed)
	if err != nil {
		return Signature{}, err
	}
	return Signature{Principal: s.Principal, Fingerprint: s.Fingerprint}, nil
}

// Rel is a file's name relative to a manifest's folder, as the manifest
// writes it.
func Rel(dir, path string) (string, bool) {
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// SignaturePath is the path of a manifest's signature.
func SignaturePath(manifest string) string { return manifest + SigSuffix }

// ReadSignature reads a manifest's signature, if it has one: nil, nil for
// none.
func ReadSignature(manifest string) ([]byte, error) {
	b, err := os.ReadFile(SignaturePath(manifest))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(b) > 64<<10 {
		return nil, errors.New("larger than any signature")
	}
	return b, nil
}

// Sealed is what the check of a package's manifest found of one file of
// it (see CheckFile).
type Sealed struct {
	Manifest  string // the manifest's path, "" when the package has none
	SealedBy  string
	Signature *Signature // who signed it, when the signature was checked
}

// Statement says in a line what the check found.
func (s Sealed) Statement() string {
	if s.Manifest == "" {
		return "not sealed: no manifest beside it, so nothing says it is as it was written"
	}
	st := "sealed by " + s.SealedBy + " in " + s.Manifest
	if s.Signature != nil {
		st += ", signature by " + s.Signature.Fingerprint + " (" + s.Signature.Principal + ")"
	}
	return st + ", intact"
}

// CheckFile holds one file of a package to the package's manifest, at
// manifest: the manifest must name id as the package's and list the file
// (by its base name), and check must accept what it lists of it (its
// SHA-256, or a workbook's stamp). With verifier, the manifest must be
// signed by one of its signers. A package without a manifest is not an
// error without verifier: Sealed.Manifest is then "".
func CheckFile(manifest, name, id string, check func(File) error, verifier *Verifier) (Sealed, error) {
	m, raw, err := Read(manifest)
	switch {
	case errors.Is(err, os.ErrNotExist) && verifier == nil:
		return Sealed{}, nil
	case errors.Is(err, os.ErrNotExist):
		return Sealed{}, fmt.Errorf("no manifest %s beside it, and --allowed-signers asks for a signed one", manifest)
	case err != nil:
		return Sealed{}, fmt.Errorf("its manifest %s cannot be read: %v", manifest, err)
	}
	s := Sealed{Manifest: manifest, SealedBy: m.SealedBy}
	if m.ReviewID != id {
		return s, fmt.Errorf("its manifest %s is of %s, not of %s", manifest, m.ReviewID, id)
	}
	var entry *File
	for i := range m.Files {
		if m.Files[i].Name == name {
			entry = &m.Files[i]
		}
	}
	if entry == nil {
		return s, fmt.Errorf("its manifest %s does not list %s", manifest, name)
	}
	if err := check(*entry); err != nil {
		return s, fmt.Errorf("it does not match its manifest %s: %v", manifest, err)
	}
	if verifier != nil {
		sig, err := ReadSignature(manifest)
		if err != nil || sig == nil {
			return s, fmt.Errorf("its manifest %s is not signed, and --allowed-signers asks for a signature", manifest)
		}
		v, err := verifier.Verify(raw, sig)
		if err != nil {
			return s, fmt.Errorf("the signature of its manifest %s does not verify against %s: %v", manifest, verifier.Path, err)
		}
		s.Signature = &v
	}
	return s, nil
}
