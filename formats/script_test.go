package formats

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/internal/iamfake"
)

// approvedReview is the samples' review with a board's decisions, as
// script --approved reads them from the workbook.
func approvedReview(t *testing.T) *Review {
	r := review(t, "samples")
	r.Workbook = "review/credential-review.xlsx"
	r.Decisions = map[string]Decision{}
	for i, d := range boardDecisions {
		r.Decisions[d[0]] = Decision{Row: i + 2, Value: strings.TrimSpace(d[1]), Reviewer: d[2], Ticket: d[3]}
	}
	// bob's key is in use: the script calls that out.
	r.Decisions["SK-9210721677"] = Decision{Row: 9, Value: "Approve", Reviewer: "Ada Lovelace", Ticket: "CHG-1004"}
	r.Decisions["SK-22687177A5"] = Decision{Row: 10, Value: "Reject", Reviewer: "x\nrm -rf / #", Notes: "a reviewer's name\u202eis text"}
	return r
}

func TestScriptGolden(t *testing.T) {
	for name := range cases {
		t.Run(name, func(t *testing.T) {
			golden(t, name+".sh", render(t, Script{}, review(t, name)))
		})
	}
	t.Run("approved", func(t *testing.T) {
		golden(t, "samples-approved.sh", render(t, Script{}, approvedReview(t)))
	})
}

func TestScriptShellcheck(t *testing.T) {
	iamfake.RequireTool(t, "/usr/bin/shellcheck")
	reviews := map[string]*Review{"approved": approvedReview(t)}
	for name := range cases {
		reviews[name] = review(t, name)
	}
	for name, r := range reviews {
		path := filepath.Join(t.TempDir(), "credential-review.sh")
		os.WriteFile(path, render(t, Script{}, r), 0o644)
		if out, err := exec.Command("/usr/bin/shellcheck", "-s", "sh", path).CombinedOutput(); err != nil {
			t.Errorf("%s: shellcheck: %v\n%s", name, err, out)
		}
	}
}

// store builds the keys IAM would hold for a review: each finding's key,
// with its id or a made-up one, in the state the report shows, and for each
// user another key created a day later that nothing may touch.
func store(r *Review) (keys []iamfake.Key, flagged map[string]bool) {
	flagged = map[string]bool{}
	others := map[string]bool{}
	for i, f := range r.Findings {
		id := f.KeyID
		if id == "" {
			id = fmt.Sprintf("AKIAGENERATED%07d", i)
		}
		status := "Inactive"
		if f.KeyActive {
			status = "Active"
		}
		keys = append(keys, iamfake.Key{User: f.User, ID: id, Status: status, Created: f.KeyCreated})
		flagged[id] = true
		if !others[f.User] {
			others[f.User] = true
			keys = append(keys, iamfake.Key{User: f.User, ID: fmt.Sprintf("AKIAOTHER%011d", i), Status: "Active", Created: f.KeyCreated.Add(24 * time.Hour)})
		}
	}
	return keys, flagged
}

// runScript runs the script with the real AWS CLI against s.
func runScript(t *testing.T, s *iamfake.Server, script string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command("sh", append([]string{script}, args...)...)
	cmd.Env = s.CLIEnv(t)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func writeScript(t *testing.T, r *Review) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "credential-review.sh")
	if err := os.WriteFile(path, render(t, Script{}, r), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// state maps key id to status, "deleted" when gone.
func state(s *iamfake.Server, all []iamfake.Key) map[string]string {
	m := map[string]string{}
	for _, k := range all {
		m[k.ID] = "deleted"
	}
	for _, k := range s.Keys() {
		m[k.ID] = k.Status
	}
	return m
}

// TestScriptWithRealCLI runs the script of a board's decisions on the
// samples (key ids from the inventory for one account, run-time selection
// for the others) with the real AWS CLI against a loopback IAM endpoint:
// bad arguments and the wrong account's credentials change nothing; plan
// only reads; delete leaves an Active key; each phase changes exactly the
// approved keys of the account, echoing the approval; every phase writes
// its transcript.
func TestScriptWithRealCLI(t *testing.T) {
	iamfake.RequireTool(t, iamfake.AWSCLI)
	t.Parallel()
	r := approvedReview(t)
	keys, _ := store(r)
	s := iamfake.New(nil, keys)
	defer s.Close()
	script := writeScript(t, r)
	transcript := filepath.Join(filepath.Dir(script), "credential-review.log")
	initial := state(s, keys)
	const acct = "123456789012"
	approved := map[string]bool{} // key ids the board approved in acct
	for _, f := range r.Findings {
		if f.AccountID == acct && r.Decisions[f.ID].Approved() {
			approved[idOf(keys, f)] = true
		}
	}
	if len(approved) != 2 {
		t.Fatalf("%d approved findings in %s, want 2", len(approved), acct)
	}
	setAccount := func(a string) { s.Lock(); s.Account = a; s.Unlock() }

	t.Run("bad arguments call nothing", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			msg  string
		}{
			{nil, "usage: sh credential-review.sh plan|deactivate|delete|reactivate [--account ID] [--from FINDING]"},
			{[]string{"bogus"}, "usage:"},
			{[]string{"deactivate", "--account"}, "usage:"},
			{[]string{"delete", "extra"}, "usage:"},
			{[]string{"deactivate"}, "the findings are in 3 accounts (123456789012 210987654321 345678901234): run each with its own credentials and --account ID"},
			{[]string{"deactivate", "--account", "999999999999"}, "no findings for account 999999999999"},
		} {
			code, _, stderr := runScript(t, s, script, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.msg) {
				t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.msg)
			}
		}
		if n := len(s.Requests()); n != 0 {
			t.Fatalf("%d requests reached IAM", n)
		}
	})

	t.Run("the wrong account's credentials change nothing", func(t *testing.T) {
		setAccount("999999999999")
		defer setAccount(acct)
		for _, phase := range []string{"plan", "deactivate", "delete", "reactivate"} {
			code, stdout, stderr := runScript(t, s, script, phase, "--account", acct)
			want := "credential-review.sh: " + phase + ": the credentials are for account 999999999999, not 123456789012; nothing in account 123456789012 was changed"
			if code != 1 || !strings.Contains(stderr, want) || stdout != "" {
				t.Errorf("%s: exit %d\n%s%s\nwant 1 and %q", phase, code, stdout, stderr, want)
			}
		}
		for _, q := range s.Requests() {
			if q.Action != "GetCallerIdentity" {
				t.Errorf("%s reached IAM", q.Action)
			}
		}
		if got := state(s, keys); !reflect.DeepEqual(got, initial) {
			t.Errorf("keys changed:\n%v\nwant\n%v", got, initial)
		}
	})

	t.Run("plan only reads", func(t *testing.T) {
		code, stdout, stderr := runScript(t, s, script, "plan", "--account", acct)
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		if m := s.Mutations(); len(m) != 0 {
			t.Errorf("plan changed IAM: %q", m)
		}
		for _, f := range r.Findings {
			if f.AccountID != acct || !r.Decisions[f.ID].Approved() {
				if strings.Contains(stdout, f.ID) {
					t.Errorf("plan names %s, which the board did not approve", f.ID)
				}
				continue
			}
			want := fmt.Sprintf("key %s is Active now: deactivate sets it Inactive; delete refuses until it is Inactive; reactivate: nothing (the key is Active)", idOf(keys, f))
			if !strings.Contains(stdout, f.ID) || !strings.Contains(stdout, want) {
				t.Errorf("plan does not say %q for %s:\n%s", want, f.ID, stdout)
			}
		}
		if !strings.Contains(stdout, "SK-9210721677 medium: bob, key 1 created 2022-10-03T14:38:12Z (in use: last used 2026-11-19T23:59:00Z by s3 in eu-central-1)") {
			t.Errorf("plan does not call out bob's key in use:\n%s", stdout)
		}
	})

	t.Run("delete leaves an Active key", func(t *testing.T) {
		code, _, stderr := runScript(t, s, script, "delete", "--account", acct)
		if code != 1 || !strings.Contains(stderr, "is Active, not Inactive: deactivate it first; nothing deleted") {
			t.Errorf("exit %d\n%s", code, stderr)
		}
		if m := s.Mutations(); len(m) != 0 {
			t.Errorf("delete changed IAM: %q", m)
		}
	})

	t.Run("deactivate, reactivate, deactivate, delete", func(t *testing.T) {
		code, stdout, stderr := runScript(t, s, script, "deactivate", "--account", acct)
		if code != 0 {
			t.Fatalf("deactivate: exit %d\n%s%s", code, stdout, stderr)
		}
		want := copyMap(initial)
		for id := range approved {
			want[id] = "Inactive"
		}
		if got := state(s, keys); !reflect.DeepEqual(got, want) {
			t.Errorf("after deactivate:\n%v\nwant\n%v", got, want)
		}
		for _, echo := range []string{
			"+ SK-F79F1786F2 (approved by Grace Hopper, ticket CHG-1003): credreview_keys=$(aws iam list-access-keys --user-name=alice",
			"+ SK-9210721677 (approved by Ada Lovelace, ticket CHG-1004; in use: last used 2026-11-19T23:59:00Z by s3 in eu-central-1): credreview_keys=$(aws iam list-access-keys --user-name=bob",
		} {
			if !strings.Contains(stdout, echo) {
				t.Errorf("deactivate does not echo %q:\n%s", echo, stdout)
			}
		}
		if code, stdout, stderr := runScript(t, s, script, "reactivate", "--account", acct); code != 0 {
			t.Fatalf("reactivate: exit %d\n%s%s", code, stdout, stderr)
		}
		if got := state(s, keys); !reflect.DeepEqual(got, initial) {
			t.Errorf("reactivate did not restore the keys:\n%v\nwant\n%v", got, initial)
		}
		for _, phase := range []string{"deactivate", "delete"} {
			if code, stdout, stderr := runScript(t, s, script, phase, "--account", acct); code != 0 {
				t.Fatalf("%s: exit %d\n%s%s", phase, code, stdout, stderr)
			}
		}
		want = copyMap(initial)
		for id := range approved {
			want[id] = "deleted"
		}
		if got := state(s, keys); !reflect.DeepEqual(got, want) {
			t.Errorf("after delete:\n%v\nwant\n%v", got, want)
		}
		for _, m := range s.Mutations() {
			id := strings.Fields(m)[2]
			if !approved[id] {
				t.Errorf("a key the board did not approve was changed: %s", m)
			}
		}
	})

	t.Run("the transcript", func(t *testing.T) {
		b, err := os.ReadFile(transcript)
		if err != nil {
			t.Fatal(err)
		}
		log := string(b)
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ deactivate account 123456789012 - stopped: the credentials are for account 999999999999$`),
			regexp.MustCompile(`(?m)^\S+ plan account 123456789012 SK-F79F1786F2 ok: aws iam list-access-keys --user-name=alice `),
			regexp.MustCompile(`(?m)^\S+ delete account 123456789012 SK-F79F1786F2 failed: credreview_keys=`),
			regexp.MustCompile(`(?m)^\S+ deactivate account 123456789012 SK-9210721677 ok: credreview_keys=\$\(aws iam list-access-keys --user-name=bob `),
			regexp.MustCompile(`(?m)^\S+ delete account 123456789012 - finished: done: SK-F79F1786F2 SK-9210721677$`),
		} {
			if !want.MatchString(log) {
				t.Errorf("the transcript has no line like %s:\n%s", want, log)
			}
		}
	})
}

func copyMap(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func idOf(keys []iamfake.Key, f analyze.Finding) string {
	for _, k := range keys {
		if k.User == f.User && k.Created.Equal(f.KeyCreated) {
			return k.ID
		}
	}
	return ""
}

// TestScriptStopsAtFirstFailure pins that a failing command stops the
// script, which says what was done and what was not, and touches nothing
// after it.
func TestScriptStopsAtFirstFailure(t *testing.T) {
	iamfake.RequireTool(t, iamfake.AWSCLI)
	t.Parallel()
	r := review(t, "samples")
	keys, _ := store(r)
	s := iamfake.New(nil, keys)
	defer s.Close()
	var third analyze.Finding
	for _, f := range r.Findings {
		if f.AccountID == "210987654321" {
			third = f // frank, key 1: the account's first finding
			break
		}
	}
	failID := idOf(keys, third)
	s.Fail = func(req iamfake.Request) *iamfake.Fault {
		if req.Action == "UpdateAccessKey" && req.Params.Get("AccessKeyId") == failID {
			return &iamfake.Fault{Status: 403, Code: "AccessDenied", Message: "User is not authorized to perform: iam:UpdateAccessKey"}
		}
		return nil
	}
	s.Account = "210987654321"
	script := writeScript(t, r)
	code, _, stderr := runScript(t, s, script, "deactivate", "--account=210987654321")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	var rest []string
	for _, f := range r.Findings {
		if f.AccountID == "210987654321" && f.ID != third.ID {
			rest = append(rest, f.ID)
		}
	}
	for _, want := range []string{
		"credential-review.sh: deactivate: the command for " + third.ID + " (account 210987654321) failed; stopping",
		"credential-review.sh: done: nothing",
		"credential-review.sh: not done: " + third.ID + " " + strings.Join(rest, " "),
	} {
		if !strings.Contains(stderr, want+"\n") {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if m := s.Mutations(); len(m) != 1 {
		t.Errorf("requests that change IAM: %q, want only the failed one", m)
	}
	goOn := "sh '" + script + "' deactivate --account 210987654321 --from " + third.ID
	if !strings.Contains(stderr, "credential-review.sh: once it is put right, go on with: "+goOn+"\n") {
		t.Errorf("stderr does not say how to go on:\n%s", stderr)
	}

	// Put right, the run goes on from the failed finding.
	s.Fail = nil
	if code, _, stderr := runScript(t, s, script, "deactivate", "--account", "210987654321", "--from", third.ID); code != 0 {
		t.Fatalf("going on: exit %d\n%s", code, stderr)
	}
	for _, f := range r.Findings {
		if f.AccountID != "210987654321" {
			continue
		}
		for _, k := range s.Keys() {
			if k.ID == idOf(keys, f) && k.Status != "Inactive" {
				t.Errorf("%s is %s after going on", f.ID, k.Status)
			}
		}
	}
	if code, _, stderr := runScript(t, s, script, "deactivate", "--account", "210987654321", "--from", "SK-NOSUCHTHING"); code != 2 || !strings.Contains(stderr, "no finding SK-NOSUCHTHING in the deactivate phase of account 210987654321") {
		t.Errorf("an unknown --from: exit %d\n%s", code, stderr)
	}
}

// TestScriptTrickyNames runs deactivate and delete for users with every
// legal character in every position, with and without key ids.
func TestScriptTrickyNames(t *testing.T) {
	iamfake.RequireTool(t, iamfake.AWSCLI)
	t.Parallel()
	names := []string{"a+b=c,d.e@f_g-h", "-", "--help", "=1+2", "+x+", "=x=", ",x,", ".x.", "@x@", "_x_", "-x-", "0"}
	// A report as AWS writes it (unquoted, commas and all) and an inventory
	// that names every other key.
	const header = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
		"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
		"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
		"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
	lines := []string{header}
	var inventory []string
	for i, n := range names {
		lines = append(lines, n+",arn:aws:iam::123456789012:user/"+n+",2025-03-03T03:03:00+00:00,true,N/A,N/A,N/A,false,true,2025-03-03T03:03:03+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A")
		if i%2 == 1 {
			inventory = append(inventory, fmt.Sprintf(`{"UserName": %q, "AccessKeyId": "AKIALITERAL%09d", "Status": "Active", "CreateDate": "2025-03-03T03:03:03Z"}`, n, i))
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "report.csv"), []byte(strings.Join(lines, "\n")), 0o644)
	os.WriteFile(filepath.Join(dir, "123456789012.keys.json"), []byte(`{"AccessKeyMetadata": [`+strings.Join(inventory, ",")+`]}`), 0o644)
	res := analyze.Analyze(context.Background(), []string{dir}, nil, analyze.Options{SetupWindow: time.Hour})
	if len(res.Errors) > 0 || len(res.Findings) != len(names) {
		t.Fatalf("errors %v, %d findings", res.Errors, len(res.Findings))
	}
	literal := 0
	for _, f := range res.Findings {
		if f.KeyID != "" {
			literal++
		}
	}
	if literal != len(names)/2 {
		t.Fatalf("%d findings with key ids, want %d", literal, len(names)/2)
	}
	r := &Review{Tool: testTool, Result: res}
	keys, flagged := store(r)
	s := iamfake.New(nil, keys)
	defer s.Close()
	script := writeScript(t, r)
	for _, phase := range []string{"deactivate", "delete"} {
		if code, stdout, stderr := runScript(t, s, script, phase); code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", phase, code, stdout, stderr)
		}
	}
	var got []string
	for _, k := range s.Keys() {
		if flagged[k.ID] {
			got = append(got, k.User)
		}
	}
	sort.Strings(got)
	if len(got) != 0 {
		t.Errorf("flagged keys left after delete: %q", got)
	}
	if n := len(s.Keys()); n != len(names) {
		t.Errorf("%d keys left, want the %d other keys", n, len(names))
	}
}

// TestScriptAllChecksWithRealCLI runs the script of every check for one
// account with the real AWS CLI: each key is deactivated and deleted once,
// whatever number of findings are about it; each unused password is
// removed; what only a person can do is left alone.
func TestScriptAllChecksWithRealCLI(t *testing.T) {
	iamfake.RequireTool(t, iamfake.AWSCLI)
	t.Parallel()
	const acct = "123456789012"
	r := allChecksReview(t)
	var keys []iamfake.Key
	seen := map[string]bool{}
	wantGone := map[string]bool{}       // key ids the script deletes
	wantNoPassword := map[string]bool{} // users whose password it removes
	passwords := map[string]time.Time{}
	for i, f := range r.Findings {
		if f.AccountID != acct {
			continue
		}
		if f.KeySlot == 0 {
			passwords[f.User] = f.UserCreated
			if f.Check == "unused-credentials" {
				wantNoPassword[f.User] = true
			}
			continue
		}
		if f.User == "<root_account>" {
			continue
		}
		cred := credentialOf(&f)
		id := fmt.Sprintf("AKIAKEY%013d", i)
		if !seen[cred] {
			seen[cred] = true
			status := "Inactive"
			if f.KeyActive {
				status = "Active"
			}
			keys = append(keys, iamfake.Key{User: f.User, ID: id, Status: status, Created: f.KeyCreated},
				iamfake.Key{User: f.User, ID: fmt.Sprintf("AKIAOTHER%011d", i), Status: "Active", Created: f.KeyCreated.Add(time.Second)})
			wantGone[id] = true
		}
	}
	s := iamfake.New(nil, keys)
	defer s.Close()
	s.LoginProfiles = passwords
	script := writeScript(t, r)
	for _, phase := range []string{"plan", "deactivate", "delete"} {
		if code, stdout, stderr := runScript(t, s, script, phase, "--account", acct); code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", phase, code, stdout, stderr)
		}
	}
	for _, k := range s.Keys() {
		if wantGone[k.ID] {
			t.Errorf("%s of %s is still there", k.ID, k.User)
		}
		if strings.HasPrefix(k.ID, "AKIAOTHER") && k.Status != "Active" {
			t.Errorf("a key no finding is about changed: %+v", k)
		}
	}
	deletes := 0
	for _, m := range s.Mutations() {
		if strings.HasPrefix(m, "DeleteAccessKey") {
			deletes++
		}
	}
	if deletes != len(wantGone) {
		t.Errorf("%d keys deleted, want each of the %d once", deletes, len(wantGone))
	}
	s.Lock()
	for user := range passwords {
		_, has := s.LoginProfiles[user]
		if has == wantNoPassword[user] {
			t.Errorf("user %s: password there %v, want %v", user, has, !wantNoPassword[user])
		}
	}
	s.Unlock()
}
