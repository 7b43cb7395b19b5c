package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/credreview/credreview/internal/cli"
	"github.com/credreview/credreview/internal/custody"
	"github.com/credreview/credreview/internal/iamfake"
)

const sshKeygen = "/usr/bin/ssh-keygen"

// signingKey writes an OpenSSH ed25519 private key made in Go (no program
// is started), encrypted with passphrase unless it is empty, and returns
// its path, a line of an allowed-signers file for auditor@example.com, and
// its fingerprint.
func signingKey(t *testing.T, passphrase string) (path, allowed, fingerprint string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "auditor")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "auditor", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return path, "auditor@example.com " + string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(pub))), ssh.FingerprintSHA256(pub)
}

// sshKeygenKey has ssh-keygen make an unencrypted ed25519 key, as a user
// would (ssh-keygen -t ed25519 -N ”), and returns what signingKey does,
// the fingerprint as ssh-keygen -l prints it.
func sshKeygenKey(t *testing.T) (path, allowed, fingerprint string) {
	t.Helper()
	iamfake.RequireTool(t, sshKeygen)
	path = filepath.Join(t.TempDir(), "id_ed25519")
	if out, err := exec.Command(sshKeygen, "-q", "-t", "ed25519", "-N", "", "-C", "auditor", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sshKeygen, "-l", "-f", path+".pub").Output()
	if err != nil {
		t.Fatalf("ssh-keygen -l: %v", err)
	}
	fields := strings.Fields(string(out)) // 256 SHA256:… auditor (ED25519)
	if len(fields) < 2 {
		t.Fatalf("ssh-keygen -l printed %q", out)
	}
	return path, "auditor@example.com " + strings.TrimSpace(string(pub)), fields[1]
}

// noAgent keeps the tester's ssh-agent out of the test.
func noAgent(t *testing.T) { t.Setenv("SSH_AUTH_SOCK", "") }

// noTerminal has the run find no terminal to ask a passphrase on, as under
// cron or CI, even when the tests run in one.
func noTerminal(t *testing.T) {
	was := isTerminal
	isTerminal = func(io.Writer) bool { return false }
	t.Cleanup(func() { isTerminal = was })
}

func writeAllowed(t *testing.T, allowed string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "allowed_signers")
	if err := os.WriteFile(path, []byte(allowed+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// verifySignature checks a manifest's signature in-process, as analyze
// --allowed-signers does, and says who signed it.
func verifySignature(t *testing.T, manifest, allowed string) custody.Signature {
	t.Helper()
	v, err := custody.LoadVerifier(writeAllowed(t, allowed))
	if err != nil {
		t.Fatal(err)
	}
	_, raw, err := custody.Read(manifest)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := custody.ReadSignature(manifest)
	if err != nil || sig == nil {
		t.Fatalf("the signature of %s: %v (none: %t)", manifest, err, sig == nil)
	}
	s, err := v.Verify(raw, sig)
	if err != nil {
		t.Fatalf("the signature does not verify: %v", err)
	}
	return s
}

// checkWithSSHKeygen has ssh-keygen -Y verify check a manifest's
// signature, as the README tells an auditor to: it must verify, and fail
// once a byte of the manifest is changed.
func checkWithSSHKeygen(t *testing.T, manifest, allowed string) {
	t.Helper()
	allowedFile := writeAllowed(t, allowed)
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	verify := func(data []byte) (int, string) {
		cmd := exec.Command(sshKeygen, "-Y", "verify", "-f", allowedFile, "-I", "auditor@example.com", "-n", "credreview", "-s", manifest+".sig")
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.CombinedOutput()
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := verify(data); code != 0 {
		t.Errorf("ssh-keygen -Y verify: exit %d\n%s", code, out)
	}
	changed := bytes.Replace(data, []byte(`"sealed_by"`), []byte(`"sealed_bY"`), 1)
	if bytes.Equal(changed, data) {
		t.Fatal("nothing changed")
	}
	if code, out := verify(changed); code == 0 {
		t.Errorf("ssh-keygen -Y verify accepted a changed manifest:\n%s", out)
	}
}

// copySamples copies samples/ into a new folder, and returns it.
func copySamples(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "evidence")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("samples")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("samples", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestSeal seals a folder of evidence collected by hand: every file analyze
// reads is listed with its hash, reports and inventories with their kind,
// account and generated time, a file analyze cannot read as evidence as
// other; what analyze passes over is not listed; and analyze finds the
// sealed folder intact.
func TestSeal(t *testing.T) {
	dir := copySamples(t)
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("Exported from the console by Ada, 2026-11-20.\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "damaged.json"), []byte(`{"Content": "`), 0o644)
	os.WriteFile(filepath.Join(dir, ".DS_Store"), []byte{0}, 0o644)
	os.WriteFile(filepath.Join(dir, "credential-review.md"), []byte("# an earlier review\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "by-hand"), 0o755)
	// Evidence is often a link to where it is kept: here a second copy of a
	// report, which analyze reads and supersedes.
	abs, _ := filepath.Abs(filepath.Join("samples", "123456789012.credential-report.csv"))
	if err := os.Symlink(abs, filepath.Join(dir, "by-hand", "kept.csv")); err != nil {
		t.Fatal(err)
	}

	start := time.Now().UTC().Truncate(time.Second)
	code, stdout, stderr := credreview(t, "", "seal", dir)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q\n%s", code, stdout, stderr)
	}
	manifest := filepath.Join(dir, "credential-evidence.json")
	for _, want := range []string{
		"credreview: warning: " + filepath.Join(dir, ".DS_Store") + ": hidden: not sealed, as analyze passes over it\n",
		"credreview: warning: " + filepath.Join(dir, "credential-review.md") + ": credreview's own output: not sealed, as analyze passes over it\n",
		"credreview: warning: " + filepath.Join(dir, "damaged.json") + ": ",
		"(sealed as it is)\n",
		"credreview: sealed 7 files of " + dir + " in " + manifest + ": 4 credential reports, 1 key inventory, 2 other\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	m := readManifest(t, dir)
	created, err := time.Parse(time.RFC3339, m.Created)
	if err != nil || created.Before(start) || created.After(time.Now()) {
		t.Errorf("created %q", m.Created)
	}
	if m.Kind != custody.KindEvidence || m.SealedBy != "seal" || m.Tool != (custody.Tool{Name: "credreview", Version: cli.Version}) || m.Accounts != nil || m.ReviewID != "" {
		t.Errorf("manifest %+v", m)
	}
	var got []string
	for _, f := range m.Files {
		got = append(got, strings.Join([]string{f.Name, f.Kind, f.AccountID, f.GeneratedTime}, " "))
	}
	want := []string{
		"123456789012.credential-report.csv credential-report 123456789012 ",
		"210987654321.access-keys.json access-keys 210987654321 ",
		"210987654321.credential-report.json credential-report 210987654321 2026-11-20T12:00:00Z",
		"345678901234.credential-report.csv.gz credential-report 345678901234 ",
		"README.md other  ",
		"by-hand/kept.csv credential-report 123456789012 ",
		"damaged.json other  ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files\n%q\nwant\n%q", got, want)
	}
	checkHashes(t, dir, m)
	if errs := analyzeErrors(t, dir); len(errs) != 1 || !strings.HasPrefix(errs[0], filepath.Join(dir, "damaged.json")+":") {
		t.Errorf("analyze of the sealed folder: errors %q, want only damaged.json's", errs)
	}

	// Sealed once: a second seal is refused, and the manifest kept.
	before, _ := os.ReadFile(manifest)
	code, _, stderr = credreview(t, "", "seal", dir)
	wantErr := "credreview: error: " + dir + " already has an evidence manifest: " + manifest + " (sealed by seal at " + m.Created + ")\n" +
		"credreview: hint: analyze holds the folder to it as it was sealed; to seal the folder as it is now instead, add --force\n"
	if code != 1 || stderr != wantErr {
		t.Errorf("a second seal: exit %d, stderr %q, want %q", code, stderr, wantErr)
	}
	if after, _ := os.ReadFile(manifest); !bytes.Equal(before, after) {
		t.Error("a refused seal changed the manifest")
	}
	// --force seals the folder as it is now.
	os.Remove(filepath.Join(dir, "damaged.json"))
	code, _, stderr = credreview(t, "", "seal", "--force", dir)
	if code != 0 || !strings.Contains(stderr, "credreview: replaced the evidence manifest "+manifest+", as --force asks\n") {
		t.Errorf("seal --force: exit %d\n%s", code, stderr)
	}
	if m := readManifest(t, dir); len(m.Files) != 6 {
		t.Errorf("after --force, %d files listed, want 6", len(m.Files))
	}
	if errs := analyzeErrors(t, dir); len(errs) > 0 {
		t.Errorf("analyze after seal --force: %q", errs)
	}
}

// TestSealMatchesAnalyze holds seal's walk to analyze's: in a folder with
// every kind of entry analyze passes over or follows, the manifest lists
// exactly what analyze reads, so that analyze finds nothing added and
// nothing missing.
func TestSealMatchesAnalyze(t *testing.T) {
	dir := copySamples(t)
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "kept.txt"), []byte("kept elsewhere\n"), 0o644)
	for _, d := range []string{"a/b/c", ".git/objects", "a/.cache"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	files := map[string]string{
		"a/notes.txt":                    "notes\n",
		"a/b/c/deep.txt":                 "deep\n",
		".git/objects/x":                 "hidden folder\n",
		"a/.cache/y":                     "hidden folder\n",
		"a/credential-review.json":       "{}\n", // an output, at any depth
		"a/credential-evidence.json":     "{}\n", // a manifest of its own folder, at any depth
		"a/credential-evidence.json.sig": "x\n",
		"a/b/credential-review.xlsx":     "x",
		"a/b/credential-review.pdf":      "not an output name\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"a/b/up":         "../..", // a loop: not followed again
		"a/elsewhere":    outside, // a folder outside: followed
		"a/b/c/same.txt": "../../notes.txt",
	} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "a", "pipe"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := credreview(t, "", "seal", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var names []string
	for _, f := range readManifest(t, dir).Files {
		names = append(names, f.Name)
	}
	want := []string{
		"123456789012.credential-report.csv", "210987654321.access-keys.json", "210987654321.credential-report.json", "345678901234.credential-report.csv.gz",
		"a/b/c/deep.txt", "a/b/c/same.txt", "a/b/credential-review.pdf", "a/elsewhere/kept.txt", "a/notes.txt",
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("listed\n%q\nwant\n%q", names, want)
	}
	for _, w := range []string{"a/b/up: a link to a folder it is inside (a loop): not followed again; its files are read once, where the folder is: not sealed", "a/pipe: not a regular file: not sealed", ".git: hidden: not sealed"} {
		if !strings.Contains(stderr, filepath.Join(dir, w)) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	if errs := analyzeErrors(t, dir); len(errs) > 0 {
		t.Errorf("analyze of the sealed folder: %q", errs)
	}
}

// TestSealFailures pins what seal refuses, and that it then writes
// nothing.
func TestSealFailures(t *testing.T) {
	empty := t.TempDir()
	dangling := copySamples(t)
	os.Symlink(filepath.Join(t.TempDir(), "gone.csv"), filepath.Join(dangling, "report.csv"))
	file := filepath.Join(t.TempDir(), "report.csv")
	os.WriteFile(file, nil, 0o644)
	missing := filepath.Join(t.TempDir(), "missing")
	encrypted, _, _ := signingKey(t, "correct horse")
	samples := copySamples(t)
	for _, tt := range []struct {
		name string
		args []string
		dir  string
		want string
	}{
		{"no such folder", []string{"seal", missing}, "", "credreview: error: " + missing + ": no such file or directory\n"},
		{"a file", []string{"seal", file}, "", "credreview: error: " + file + " is not a folder: seal seals a folder of evidence\n"},
		{"an empty folder", []string{"seal", empty}, empty, "credreview: error: " + empty + " holds no file that analyze reads: nothing to seal\n"},
		{"a link to nothing", []string{"seal", dangling}, dangling, "credreview: error: " + filepath.Join(dangling, "report.csv") + ": a symbolic link to "},
		{"an encrypted key and no terminal", []string{"seal", "--sign-key", encrypted, samples}, samples,
			"credreview: error: --sign-key: " + encrypted + " is encrypted, and there is no terminal to ask for its passphrase; add it to ssh-agent (ssh-add " + encrypted + ") and run again\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			noAgent(t)
			noTerminal(t)
			code, _, stderr := credreview(t, "", tt.args...)
			if code != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr lacks %q:\n%s", code, tt.want, stderr)
			}
			if tt.dir != "" {
				if _, err := os.Lstat(filepath.Join(tt.dir, "credential-evidence.json")); err == nil {
					t.Error("a manifest was written")
				}
			}
		})
	}
}

func TestSealUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"seal"}, "credreview: error: no DIR given: name the folder of evidence to seal\n"},
		{[]string{"seal", "a", "b"}, `credreview: error: seal takes one DIR, but was given ["a" "b"]` + "\n"},
		{[]string{"seal", "-"}, "credreview: error: seal seals a folder, not standard input: name the folder of evidence\n"},
		{[]string{"seal", "--sign", "k", "x"}, "credreview: error: unknown flag: --sign\n"},
	} {
		code, stdout, stderr := credreview(t, "", tt.args...)
		if want := tt.want + "credreview: hint: run \"credreview seal --help\" for usage\n"; code != 2 || stdout != "" || stderr != want {
			t.Errorf("%q: exit %d, stderr %q, want %q", tt.args, code, stderr, want)
		}
	}
}

// TestSealSignKey signs a seal with a key made in Go, checks it as analyze
// does, and pins that sealing again unsigned removes the signature, which
// the new manifest would not match.
func TestSealSignKey(t *testing.T) {
	noAgent(t)
	key, allowed, fingerprint := signingKey(t, "")
	dir := copySamples(t)
	manifest := filepath.Join(dir, "credential-evidence.json")
	code, _, stderr := credreview(t, "", "seal", "--sign-key", key, dir)
	if want := "credreview: signed it with " + fingerprint + " (" + key + "): " + manifest + ".sig\n"; code != 0 || !strings.Contains(stderr, want) {
		t.Fatalf("exit %d; stderr lacks %q:\n%s", code, want, stderr)
	}
	if s := verifySignature(t, manifest, allowed); s.Fingerprint != fingerprint {
		t.Errorf("signed by %s, want %s", s.Fingerprint, fingerprint)
	}
	code, _, stderr = credreview(t, "", "seal", "--force", dir)
	if want := "credreview: removed " + manifest + ".sig, the signature of the manifest it replaced\n"; code != 0 || !strings.Contains(stderr, want) {
		t.Errorf("seal --force unsigned: exit %d; stderr lacks %q:\n%s", code, want, stderr)
	}
	if _, err := os.Stat(manifest + ".sig"); err == nil {
		t.Error("the old signature is still there")
	}
}

// TestSealSignKeyWithSSHKeygen signs with a key ssh-keygen made, and has
// ssh-keygen -Y verify check the signature, as the README shows.
func TestSealSignKeyWithSSHKeygen(t *testing.T) {
	noAgent(t)
	key, allowed, fingerprint := sshKeygenKey(t)
	dir := copySamples(t)
	code, _, stderr := credreview(t, "", "seal", "--sign-key", key, dir)
	if code != 0 || !strings.Contains(stderr, "credreview: signed it with "+fingerprint+" ") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	checkWithSSHKeygen(t, filepath.Join(dir, "credential-evidence.json"), allowed)
}
