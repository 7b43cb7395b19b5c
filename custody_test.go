package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credreview/credreview/internal/iamfake"
)

// TestChainOfCustodyWithMoto runs the chain of custody against moto's IAM
// server: fetch signs its evidence with a key ssh-keygen made; ssh-keygen
// -Y verify accepts the manifest; analyze with --allowed-signers finds it
// intact and seals the review; a decoy added, or a report altered by one
// byte, is an error; a review JSON with one severity changed is refused by
// verify, a workbook whose stamp was changed by script, and an emptied
// review without its manifest is caught by verify --inputs.
func TestChainOfCustodyWithMoto(t *testing.T) {
	iamfake.RequireTool(t, iamfake.AWSCLI)
	moto := iamfake.MotoAsIAM(t)
	for _, argv := range [][]string{
		{"iam", "create-user", "--user-name", "alice"},
		{"iam", "create-login-profile", "--user-name", "alice", "--password", "Correct-Horse-1"},
		{"iam", "create-access-key", "--user-name", "alice"},
		{"iam", "create-user", "--user-name", "bob"},
	} {
		if r := moto.RunCLI(t, [][]string{argv})[0]; r.Code != 0 {
			t.Fatalf("aws %s: %s", strings.Join(argv, " "), r.Stderr)
		}
	}
	awsEnv(t, "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKEFAKEFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL", moto.URL)
	noAgent(t)
	key, allowedLine, fingerprint := sshKeygenKey(t)
	allowed := writeAllowed(t, allowedLine)
	dir := t.TempDir()
	ev, review := filepath.Join(dir, "evidence"), filepath.Join(dir, "review")

	if code, _, stderr := credreview(t, "", "fetch", "-q", "--sign-key", key, "-o", ev); code != 0 {
		t.Fatalf("fetch: exit %d\n%s", code, stderr)
	}
	manifest := filepath.Join(ev, "credential-evidence.json")
	verify := func() error {
		f, err := os.Open(manifest)
		if err != nil {
			return err
		}
		defer f.Close()
		cmd := exec.Command(sshKeygen, "-Y", "verify", "-f", allowed, "-I", "auditor@example.com", "-n", "credreview", "-s", manifest+".sig")
		cmd.Stdin = f
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("ssh-keygen: %s", out)
		}
		return err
	}
	if err := verify(); err != nil {
		t.Fatalf("ssh-keygen -Y verify refused the evidence manifest: %v", err)
	}

	code, _, stderr := credreview(t, "", "analyze", "-q", "-f", "xlsx,json", "--allowed-signers", allowed, "--sign-key", key, "-o", review, ev)
	if code != 0 {
		t.Fatalf("analyze: exit %d\n%s", code, stderr)
	}
	rj := filepath.Join(review, "credential-review.json")
	b, _ := os.ReadFile(rj)
	if want := ", signature by " + fingerprint + " (auditor@example.com), intact"; !strings.Contains(string(b), want) {
		t.Errorf("the review's JSON lacks %q", want)
	}
	if _, err := os.Stat(filepath.Join(review, "credential-review.manifest.json.sig")); err != nil {
		t.Errorf("the review's manifest is not signed: %v", err)
	}

	// A decoy added, then a report altered by one byte.
	report := filepath.Join(ev, "123456789012.credential-report.json")
	decoy := filepath.Join(ev, "zz-decoy.json")
	original, _ := os.ReadFile(report)
	os.WriteFile(decoy, original, 0o644)
	code, _, stderr = credreview(t, "", "analyze", "-q", "-f", "json", "--allowed-signers", allowed, "-o", filepath.Join(dir, "r2"), ev)
	if code != 1 || !strings.Contains(stderr, decoy+": not in the evidence manifest") {
		t.Errorf("a decoy: exit %d\n%s", code, stderr)
	}
	os.Remove(decoy)
	altered := []byte(strings.Replace(string(original), `"ReportFormat"`, `"ReportFormat" `, 1))
	os.WriteFile(report, altered, 0o644)
	code, _, stderr = credreview(t, "", "analyze", "-q", "-f", "json", "--allowed-signers", allowed, "-o", filepath.Join(dir, "r3"), ev)
	if code != 1 || !strings.Contains(stderr, report+": altered since the evidence was sealed") {
		t.Errorf("a report altered by one byte: exit %d\n%s", code, stderr)
	}
	os.WriteFile(report, original, 0o644)

	// The review's JSON with one severity changed: verify refuses it.
	after := filepath.Join(dir, "after")
	if code, _, stderr := credreview(t, "", "fetch", "-q", "-o", after); code != 0 {
		t.Fatalf("fetch again: exit %d\n%s", code, stderr)
	}
	good, _ := os.ReadFile(rj)
	os.WriteFile(rj, []byte(strings.Replace(string(good), `"severity": "high"`, `"severity": "low"`, 1)), 0o644)
	code, _, stderr = credreview(t, "", "verify", "-q", "--review", rj, "-o", filepath.Join(dir, "v1"), after)
	if code != 1 || !strings.Contains(stderr, "it does not match its manifest") || !strings.Contains(stderr, "nothing was verified") {
		t.Errorf("verify of an edited review: exit %d\n%s", code, stderr)
	}
	os.WriteFile(rj, good, 0o644)

	// Another review's workbook, whole and consistent, put in place of
	// the review's: script refuses it by the manifest beside it.
	other := filepath.Join(dir, "other")
	if code, _, stderr := credreview(t, "", "analyze", "-q", "-f", "xlsx", "-o", other, after); code != 0 {
		t.Fatalf("analyze of the newer evidence: exit %d\n%s", code, stderr)
	}
	book := filepath.Join(review, "credential-review.xlsx")
	swapped, _ := os.ReadFile(filepath.Join(other, "credential-review.xlsx"))
	os.WriteFile(book, swapped, 0o644)
	code, _, stderr = credreview(t, "", "script", "--approved", book, "-o", filepath.Join(dir, "s1"))
	if code != 1 || !strings.Contains(stderr, "its manifest "+filepath.Join(review, "credential-review.manifest.json")+" is of CR-") {
		t.Errorf("script of another review's workbook: exit %d\n%s", code, stderr)
	}

	// Without its manifest, an emptied review is caught by its inputs.
	os.Remove(filepath.Join(review, "credential-review.manifest.json"))
	os.Remove(filepath.Join(review, "credential-review.manifest.json.sig"))
	var emptied strings.Builder
	head, _, _ := strings.Cut(string(good), `"findings": [`)
	_, tail, _ := strings.Cut(string(good), "\n  ],\n  \"warnings\"")
	emptied.WriteString(head + `"findings": [],` + "\n  \"warnings\"" + tail)
	os.WriteFile(rj, []byte(emptied.String()), 0o644)
	code, _, stderr = credreview(t, "", "verify", "-q", "--review", rj, "--inputs", ev, "-o", filepath.Join(dir, "v2"), after)
	if code != 1 || !strings.Contains(stderr, "is given by the review's inputs, but the review does not have it") {
		t.Errorf("verify --inputs of an emptied review: exit %d\n%s", code, stderr)
	}
	// And with --allowed-signers, a review without a manifest is refused.
	code, _, stderr = credreview(t, "", "verify", "-q", "--review", rj, "--allowed-signers", allowed, "-o", filepath.Join(dir, "v3"), after)
	if code != 1 || !strings.Contains(stderr, "and --allowed-signers asks for a signed one") {
		t.Errorf("verify of an unsealed review with --allowed-signers: exit %d\n%s", code, stderr)
	}
}
