package analyze

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/credreview/credreview/internal/custody"
)

// sealed writes files into a folder with an evidence manifest of them,
// signed with key when it is not nil.
func sealed(t *testing.T, files map[string]string, key ed25519.PrivateKey) string {
	t.Helper()
	dir := t.TempDir()
	m := &custody.Manifest{ManifestVersion: custody.Version, Kind: custody.KindEvidence, SealedBy: "seal", Created: "2026-11-20T12:00:00Z"}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		m.Files = append(m.Files, custody.File{Name: name, Size: int64(len(content)), SHA256: custody.Digest([]byte(content))})
	}
	raw := custody.Marshal(m)
	os.WriteFile(filepath.Join(dir, custody.EvidenceName), raw, 0o644)
	if key != nil {
		s, err := ssh.NewSignerFromKey(key)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := custodySign(s, raw)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, custody.EvidenceName+custody.SigSuffix), sig, 0o644)
	}
	return dir
}

// TestEvidenceManifest pins the check of a sealed folder: intact, a decoy
// added, a report altered by one byte, a file missing, and the signature
// asked for and checked; every output's statement says which.
func TestEvidenceManifest(t *testing.T) {
	good := report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")))
	files := map[string]string{"123456789012.csv": good, "notes/README.md": "# the evidence\n"}
	_, priv, _ := ed25519.GenerateKey(nil)
	pub, _ := ssh.NewPublicKey(priv.Public())
	allowed := filepath.Join(t.TempDir(), "allowed_signers")
	os.WriteFile(allowed, []byte("ada@example.org "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))+"\n"), 0o644)
	opts := Options{SetupWindow: time.Hour}

	t.Run("intact, not signed", func(t *testing.T) {
		res := Analyze(context.Background(), []string{sealed(t, files, nil)}, nil, opts)
		if len(res.Errors) != 0 || len(res.Evidence) != 1 || !res.Evidence[0].Intact() {
			t.Fatalf("errors %v, evidence %+v", problemLines(res.Errors), res.Evidence)
		}
		if got, want := res.Evidence[0].Statement(), "evidence: 2 files sealed at 2026-11-20T12:00:00Z by seal, not signed, intact"; got != want {
			t.Errorf("statement %q, want %q", got, want)
		}
	})
	t.Run("intact, signed, checked", func(t *testing.T) {
		o := opts
		o.AllowedSigners = allowed
		res := Analyze(context.Background(), []string{sealed(t, files, priv)}, nil, o)
		if len(res.Errors) != 0 {
			t.Fatalf("errors %v", problemLines(res.Errors))
		}
		if got := res.Evidence[0].Statement(); !strings.Contains(got, ", signature by "+ssh.FingerprintSHA256(pub)+" (ada@example.org), intact") {
			t.Errorf("statement %q", got)
		}
	})
	t.Run("a decoy added", func(t *testing.T) {
		dir := sealed(t, files, nil)
		decoy := filepath.Join(dir, "zz-decoy.csv")
		os.WriteFile(decoy, []byte(report(rootRow)), 0o644)
		res := Analyze(context.Background(), []string{dir}, nil, opts)
		containsAll(t, "errors", problemLines(res.Errors), []string{decoy + ": not in the evidence manifest"})
		if st := res.Evidence[0].Statement(); !strings.HasSuffix(st, "NOT intact: 1 added (see the errors)") {
			t.Errorf("statement %q", st)
		}
	})
	t.Run("a report altered by one byte", func(t *testing.T) {
		dir := sealed(t, files, nil)
		p := filepath.Join(dir, "123456789012.csv")
		os.WriteFile(p, []byte(strings.Replace(good, "true,2025", "false,2025", 1)), 0o644)
		res := Analyze(context.Background(), []string{dir}, nil, opts)
		containsAll(t, "errors", problemLines(res.Errors), []string{p + ": altered since the evidence was sealed"})
	})
	t.Run("a file missing", func(t *testing.T) {
		dir := sealed(t, files, nil)
		os.Remove(filepath.Join(dir, "notes", "README.md"))
		res := Analyze(context.Background(), []string{dir}, nil, opts)
		containsAll(t, "errors", problemLines(res.Errors), []string{filepath.Join(dir, "notes", "README.md") + ": listed in the evidence manifest"})
	})
	t.Run("a signature asked for, none there", func(t *testing.T) {
		o := opts
		o.AllowedSigners = allowed
		res := Analyze(context.Background(), []string{sealed(t, files, nil)}, nil, o)
		containsAll(t, "errors", problemLines(res.Errors), []string{"not signed, and --allowed-signers asks for a signature"})
	})
	t.Run("the manifest changed after it was signed", func(t *testing.T) {
		o := opts
		o.AllowedSigners = allowed
		dir := sealed(t, files, priv)
		m := filepath.Join(dir, custody.EvidenceName)
		b, _ := os.ReadFile(m)
		os.WriteFile(m, []byte(strings.Replace(string(b), "by", "by", 1)+" "), 0o644)
		res := Analyze(context.Background(), []string{dir}, nil, o)
		containsAll(t, "errors", problemLines(res.Errors), []string{"its signature does not verify against"})
	})
	t.Run("no manifest", func(t *testing.T) {
		res := analyzeOne(t, good, opts)
		if got := res.EvidenceStatements(); len(got) != 1 || got[0] != NoEvidenceStatement {
			t.Errorf("statements %q", got)
		}
	})
}
