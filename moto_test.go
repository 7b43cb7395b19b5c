package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/credreview/credreview/internal/iamfake"
)

// TestWholeLoopWithMoto runs the change board's whole loop against moto's
// IAM server, an emulator no one here wrote: users made with the real AWS
// CLI → credreview fetch → analyze → the board approves in the workbook →
// script --approved → the script run by the real CLI → fetch again →
// verify says every finding remediated.
func TestWholeLoopWithMoto(t *testing.T) {
	iamfake.RequireTool(t, iamfake.AWSCLI)
	moto := iamfake.MotoAsIAM(t)
	env := moto.CLIEnv(t)
	cli := func(argvs ...[]string) []iamfake.CLIRun {
		t.Helper()
		runs := moto.RunCLI(t, argvs)
		for i, r := range runs {
			if r.Code != 0 {
				t.Fatalf("aws %s: exit %d\n%s", strings.Join(argvs[i], " "), r.Code, r.Stderr)
			}
		}
		return runs
	}
	// Console users with keys made at setup (alice and bob), a console user
	// without keys (carol), and a user with a key but no password (deploy).
	cli([]string{"iam", "create-user", "--user-name", "alice"}, []string{"iam", "create-user", "--user-name", "bob"},
		[]string{"iam", "create-user", "--user-name", "carol"}, []string{"iam", "create-user", "--user-name", "deploy"})
	cli([]string{"iam", "create-login-profile", "--user-name", "alice", "--password", "Correct-Horse-1"},
		[]string{"iam", "create-login-profile", "--user-name", "bob", "--password", "Correct-Horse-2"},
		[]string{"iam", "create-login-profile", "--user-name", "carol", "--password", "Correct-Horse-3"},
		[]string{"iam", "create-access-key", "--user-name", "alice"}, []string{"iam", "create-access-key", "--user-name", "bob"},
		[]string{"iam", "create-access-key", "--user-name", "deploy"})
	var aliceKey struct{ AccessKey struct{ AccessKeyId string } }
	runs := cli([]string{"iam", "create-access-key", "--user-name", "alice"})
	if err := json.Unmarshal([]byte(runs[0].Stdout), &aliceKey); err != nil {
		t.Fatal(err)
	}

	// credreview fetch talks to moto through the SDK.
	awsEnv(t, "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKEFAKEFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL", moto.URL)
	dir := t.TempDir()
	before, review, after, ver := filepath.Join(dir, "before"), filepath.Join(dir, "review"), filepath.Join(dir, "after"), filepath.Join(dir, "verification")
	if code, _, stderr := credreview(t, "", "fetch", "-q", "-o", before); code != 0 {
		t.Fatalf("fetch: exit %d\n%s", code, stderr)
	}
	code, _, stderr := credreview(t, "", "analyze", "-q", "-f", "xlsx,json", "-o", review, before)
	if code != 0 {
		t.Fatalf("analyze: exit %d\n%s", code, stderr)
	}
	type finding struct {
		ID    string `json:"id"`
		User  string `json:"user"`
		KeyID string `json:"key_id"`
	}
	var rev struct{ Findings []finding }
	readJSON(t, filepath.Join(review, "credential-review.json"), &rev)
	var ids []string
	decisions := map[string][3]string{}
	for _, f := range rev.Findings {
		ids = append(ids, f.ID)
		decisions[f.ID] = [3]string{"Approve", "Ada Lovelace", "CHG-42"}
	}
	if len(rev.Findings) != 3 {
		t.Fatalf("findings %+v; want alice's two keys and bob's", rev.Findings)
	}
	// fetch saved the key ids: the findings and the commands have them.
	if !slices.ContainsFunc(rev.Findings, func(f finding) bool {
		return f.User == "alice" && f.KeyID == aliceKey.AccessKey.AccessKeyId
	}) {
		t.Errorf("no finding of alice has her key id %s: %+v", aliceKey.AccessKey.AccessKeyId, rev.Findings)
	}

	decideIn(t, filepath.Join(review, "credential-review.xlsx"), decisions, nil)
	if code, _, stderr := credreview(t, "", "script", "-q", "--approved", filepath.Join(review, "credential-review.xlsx"), "-o", review); code != 0 {
		t.Fatalf("script: exit %d\n%s", code, stderr)
	}
	var transcript strings.Builder
	for _, phase := range []string{"plan", "deactivate", "delete"} {
		cmd := exec.Command("sh", filepath.Join(review, "credential-review.sh"), phase, "--account", "123456789012")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		transcript.Write(out)
		if err != nil {
			t.Fatalf("%s: %v\n%s", phase, err, out)
		}
	}
	// IAM has only deploy's key left.
	runs = cli([]string{"iam", "list-access-keys", "--user-name", "alice"}, []string{"iam", "list-access-keys", "--user-name", "deploy"})
	if strings.Contains(runs[0].Stdout, "AccessKeyId") || !strings.Contains(runs[1].Stdout, "AccessKeyId") {
		t.Fatalf("after the script: alice %s, deploy %s\nthe script said:\n%s", runs[0].Stdout, runs[1].Stdout, transcript.String())
	}

	if code, _, stderr := credreview(t, "", "fetch", "-q", "-o", after); code != 0 {
		t.Fatalf("fetch again: exit %d\n%s", code, stderr)
	}
	code, _, stderr = credreview(t, "", "verify", "-q", "--review", filepath.Join(review, "credential-review.json"), "-o", ver, after)
	if code != 0 {
		t.Errorf("verify: exit %d\n%s", code, stderr)
	}
	var got struct {
		ReviewID string `json:"review_id"`
		Summary  map[string]int
		Results  []struct{ ID, Outcome, Evidence string }
		New      []json.RawMessage `json:"new_findings"`
		Errors   []struct{ Message string }
	}
	readJSON(t, filepath.Join(ver, "credential-verification.json"), &got)
	var verified []string
	for _, r := range got.Results {
		verified = append(verified, r.ID)
		if r.Outcome != "remediated" {
			t.Errorf("%s: %s (%s), want remediated", r.ID, r.Outcome, r.Evidence)
		}
	}
	if !slices.Equal(verified, ids) || len(got.New) != 0 || got.Summary["remediated"] != 3 || got.ReviewID == "" {
		t.Errorf("verified %v of %v, new findings %d", verified, ids, len(got.New))
	}
	for _, e := range got.Errors {
		t.Errorf("verify error: %s", e.Message)
	}
	for _, name := range []string{"credential-verification.xlsx", "credential-verification.md"} {
		if _, err := os.Stat(filepath.Join(ver, name)); err != nil {
			t.Error(err)
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
