package seal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/internal/atomicfile"
	"github.com/credreview/credreview/internal/cli"
	"github.com/credreview/credreview/internal/custody"
)

// What a file of evidence is, as a manifest's File.Kind says it.
const (
	KindReport    = custody.FileReport
	KindInventory = custody.FileInventory
	KindOther     = custody.FileOther
)

// Walk is what a walk of a folder of evidence found: the files analyze
// reads when it is given the folder, which a manifest of it must list,
// neither more nor fewer, since analyze holds every one of them to the
// manifest and counts a listed file it does not read as missing.
type Walk struct {
	// Files are the files analyze reads, in its order (lexical, depth
	// first), named as analyze names them: the folder joined with the
	// names on the way, through symbolic links.
	Files []string
	// Skipped say what analyze passes over, and why ("PATH: hidden").
	Skipped []string
	// Errors say what could not be read ("PATH: what"): a manifest that
	// left such a file out would not be the folder's.
	Errors []string
}

// Files walks dir as analyze does when it is given the folder
// (analyze.Files): the files it reads, what it passes over, and what it
// cannot read.
func Files(dir string) Walk {
	var w Walk
	files, warnings, errs := analyze.Files(dir)
	w.Files = files
	for _, p := range warnings {
		w.Skipped = append(w.Skipped, p.Error())
	}
	for _, p := range errs {
		w.Errors = append(w.Errors, p.Error())
	}
	return w
}

func describe(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// LoadKey loads the signing key of --sign-key: from ssh-agent when it
// holds the key, else the file, asking the passphrase of an encrypted one
// on the terminal (and failing, with a hint to use ssh-agent, when there
// is none). Commands load it before any other work, so that a bad key
// costs nothing.
func LoadKey(ctx context.Context, keyFile string, ui *cli.UI) (*custody.Signer, error) {
	s, err := custody.LoadSigner(keyFile, cli.Passphrase(ctx, "credreview: passphrase for "+keyFile+": ", ui))
	if err != nil {
		return nil, fmt.Errorf("--sign-key: %w", err)
	}
	return s, nil
}

// Sealed says what Write did.
type Sealed struct {
	Manifest string // the manifest's path
	Replaced bool   // it replaced a manifest that was there
	// Signature is the signature's path; empty when the manifest was not
	// signed.
	Signature string
	// RemovedSignature is the path of an earlier signature that Write
	// removed, since it is not of the manifest written now; empty for none.
	RemovedSignature string
}

// ErrNotSigned is wrapped by Write's error when the manifest was written
// but could not be signed.
var ErrNotSigned = errors.New("the manifest was written, but not signed")

// Write writes the manifest of dir, m, as DIR/credential-evidence.json,
// whole or not at all and flushed to disk (evidence cannot be made again
// as it was), and, with a signer, its signature beside it. A signature
// left by an earlier manifest is removed when no new one replaces it:
// beside the new manifest it would only fail to verify.
//
// The manifest is signed before anything is written. When the signing
// fails (ssh-agent went away), the manifest is still written, unsigned,
// and the error wraps ErrNotSigned: it can be signed afterwards with
// ssh-keygen -Y sign -n credreview.
func Write(ctx context.Context, dir string, m *custody.Manifest, signer *custody.Signer) (Sealed, error) {
	s := Sealed{Manifest: filepath.Join(dir, custody.EvidenceName)}
	sigPath := custody.SignaturePath(s.Manifest)
	b := custody.Marshal(m)
	var sig []byte
	var signErr error
	if signer != nil {
		sig, signErr = signer.Sign(b)
	}
	if _, err := os.Lstat(s.Manifest); err == nil {
		s.Replaced = true
	}
	if err := atomicfile.WriteDurable(ctx, s.Manifest, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}); err != nil {
		return s, fmt.Errorf("write %s: %w", s.Manifest, err)
	}
	if sig != nil {
		if err := atomicfile.WriteDurable(ctx, sigPath, func(w io.Writer) error {
			_, err := w.Write(sig)
			return err
		}); err != nil {
			return s, fmt.Errorf("%w: write %s: %v", ErrNotSigned, sigPath, err)
		}
		s.Signature = sigPath
		return s, nil
	}
	switch err := os.Remove(sigPath); {
	case err == nil:
		s.RemovedSignature = sigPath
	case !errors.Is(err, fs.ErrNotExist):
		return s, fmt.Errorf("remove %s, the signature of the manifest it replaced: %w", sigPath, err)
	}
	if signErr != nil {
		return s, fmt.Errorf("%w: %v", ErrNotSigned, signErr)
	}
	return s, nil
}

// SignHint says how to sign a manifest that Write could not sign.
func SignHint(manifest, keyFile string) string {
	return fmt.Sprintf("sign it with ssh-keygen -Y sign -n %s -f %s %s, which writes %s", custody.Namespace, keyFile, manifest, custody.SignaturePath(manifest))
}
