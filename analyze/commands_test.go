package analyze

import (
	"context"
	"fmt"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/credreview/credreview/internal/iamfake"
)

func ExampleAnalyze() {
	report := `user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
alice,arn:aws:iam::123456789012:user/alice,2025-01-09T11:20:05+00:00,true,2025-01-09T11:25:40+00:00,2025-01-09T11:20:05+00:00,N/A,false,true,2025-01-09T11:20:09+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`
	res := Analyze(context.Background(), []string{"-"}, strings.NewReader(report), Options{SetupWindow: time.Hour})
	for _, f := range res.Findings {
		fmt.Printf("%s %s: %s key %d, created %s after the user\n", f.ID, f.Severity, f.User, f.KeySlot, HumanSeconds(f.SecondsAfterUserCreated()))
		for _, c := range f.Commands().Implement {
			fmt.Println(c)
		}
	}
	// Output:
	// SK-E7B74DEB25 high: alice key 1, created 4 s after the user
	// credreview_keys=$(aws iam list-access-keys --user-name=alice --output text --query "AccessKeyMetadata[?starts_with(CreateDate, '2025-01-09T11:20:09')].AccessKeyId") && set -- $credreview_keys && if [ $# -eq 1 ]; then aws iam update-access-key --user-name=alice --access-key-id="$1" --status Inactive; else echo "credreview: alice has no single access key created 2025-01-09T11:20:09Z; nothing changed" >&2; false; fi
	// credreview_keys=$(aws iam list-access-keys --user-name=alice --output text --query "AccessKeyMetadata[?starts_with(CreateDate, '2025-01-09T11:20:09')].[AccessKeyId,Status]") && set -- $credreview_keys && if [ $# -eq 2 ] && [ "$2" = Inactive ]; then aws iam delete-access-key --user-name=alice --access-key-id="$1"; elif [ $# -eq 2 ]; then echo "credreview: key $1 of alice is $2, not Inactive: deactivate it first; nothing deleted" >&2; false; else echo "credreview: alice has no single access key created 2025-01-09T11:20:09Z; nothing changed" >&2; false; fi
}

func TestCommandsWithKeyID(t *testing.T) {
	f := &Finding{Check: "setup-key", User: "-x", KeyID: "AKIAIOSFODNN7EXAMPLE", KeyActive: true, KeyCreated: time.Date(2025, 1, 1, 0, 0, 4, 0, time.UTC)}
	got := f.Commands()
	want := Commands{
		Test: []string{
			"aws iam list-access-keys --user-name=-x",
			"aws iam get-access-key-last-used --access-key-id=AKIAIOSFODNN7EXAMPLE",
		},
		Implement: []string{
			"aws iam update-access-key --user-name=-x --access-key-id=AKIAIOSFODNN7EXAMPLE --status Inactive",
			`credreview_keys=$(aws iam list-access-keys --user-name=-x --output text --query "AccessKeyMetadata[?AccessKeyId=='AKIAIOSFODNN7EXAMPLE'].Status") && set -- $credreview_keys && if [ "$*" = Inactive ]; then aws iam delete-access-key --user-name=-x --access-key-id=AKIAIOSFODNN7EXAMPLE; elif [ $# -eq 0 ]; then echo "credreview: -x has no access key AKIAIOSFODNN7EXAMPLE; nothing deleted" >&2; false; else echo "credreview: key AKIAIOSFODNN7EXAMPLE of -x is $*, not Inactive: deactivate it first; nothing deleted" >&2; false; fi`,
		},
		Backout: []string{
			"aws iam update-access-key --user-name=-x --access-key-id=AKIAIOSFODNN7EXAMPLE --status Active  # while the key is only deactivated",
			"aws iam create-access-key --user-name=-x  # only after deletion: a NEW key with a new id; deliver its secret to the user securely",
		},
		Lookup: `aws iam list-access-keys --user-name=-x --output text --query "AccessKeyMetadata[?AccessKeyId=='AKIAIOSFODNN7EXAMPLE'].[AccessKeyId,Status]"`,
	}
	want.Deactivate, want.Delete, want.Reactivate = want.Implement[0], want.Implement[1], want.Backout[0]
	if !reflect.DeepEqual(got, want) {
		t.Errorf("commands:\n%q\nwant\n%q", got, want)
	}
	// The backout of deactivating an already inactive key must not turn it on.
	f.KeyActive = false
	if got := f.Commands().Backout[0]; got != "# nothing to reactivate: the key was already Inactive before the change" {
		t.Errorf("backout of an inactive key's deactivation = %q", got)
	}
}

// TestUserArg pins how a command names each class of user: --user-name=NAME,
// which reaches IAM as NAME, except for the one name the CLI's parser takes
// apart, which goes in as JSON.
func TestUserArg(t *testing.T) {
	for name, want := range map[string]string{
		"alice":       "--user-name=alice",
		"-":           "--user-name=-",
		"--":          `--cli-input-json '{"UserName":"--"}'`,
		"---":         "--user-name=---",
		"--help":      "--user-name=--help",
		"-1":          "--user-name=-1",
		"a,b":         "--user-name=a,b",
		"a=b":         "--user-name=a=b",
		"=":           "--user-name==",
		"1e5":         "--user-name=1e5",
		"@team":       "--user-name=@team",
		"+ops":        "--user-name=+ops",
		"true":        "--user-name=true",
		"null":        "--user-name=null",
		"file":        "--user-name=file",
		"--debug":     "--user-name=--debug",
		"-- ":         "", // not a legal name: no command is ever built for it
		"--user-name": "--user-name=--user-name",
	} {
		if want == "" {
			if ValidUserName(name) {
				t.Errorf("%q is legal", name)
			}
			continue
		}
		if got := string(appendUserArg(nil, name)); got != want {
			t.Errorf("user %q: %s, want %s", name, got, want)
		}
	}
	c := (&Finding{Check: "setup-key", User: "--", KeyID: "AKIAIOSFODNN7EXAMPLE", KeyActive: true}).Commands()
	if want := `aws iam update-access-key --cli-input-json '{"UserName":"--"}' --access-key-id=AKIAIOSFODNN7EXAMPLE --status Inactive`; c.Implement[0] != want {
		t.Errorf("deactivate = %s, want %s", c.Implement[0], want)
	}
	if want := `then aws iam delete-access-key --cli-input-json '{"UserName":"--"}' --access-key-id=AKIAIOSFODNN7EXAMPLE;`; !strings.Contains(c.Implement[1], want) {
		t.Errorf("delete = %s, want it to hold %s", c.Implement[1], want)
	}
}

// reachNames are the names TestUserNamesReachIAM hands to the real CLI:
// every name of one character; every name of two drawn from the characters
// that mean something to an argument parser (options, lists, shorthand,
// numbers); the CLI's own options as names; and long names.
func reachNames() []string {
	var names []string
	const legal = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-"
	for _, c := range legal {
		names = append(names, string(c))
	}
	const telling = "-=,.@+a0"
	for _, a := range telling {
		for _, b := range telling {
			names = append(names, string(a)+string(b))
		}
	}
	names = append(names, "---", "----", "--=", "-=-", "--,", "--a", "-1", "-1.5", "1e5", "0x10", "1_000", "true", "false", "null", "nan", "inf", "-inf",
		"a=b", "a=b,c=d", "a,b,c", "file", "fileb", "http", "https", "@file", "--help", "--debug", "--output", "--query", "--endpoint-url", "--no-paginate",
		"--cli-input-json", "--cli-input-yaml", "--generate-cli-skeleton", "--user-name", "--user-name=x", "--profile", "--region", "--version", "--max-items",
		"-h", strings.Repeat("-", 64), strings.Repeat("=", 64), strings.Repeat("x", 63)+"-", "-"+strings.Repeat("a,", 31)+"b")
	return names
}

// TestUserNamesReachIAM holds the real AWS CLI to appendUserArg: for every
// name of reachNames, --user-name=NAME reaches IAM as NAME exactly when
// cliMangles says so, and the form the commands use always does. One CLI
// setup runs them all.
func TestUserNamesReachIAM(t *testing.T) {
	iamfake.RequireTool(t, iamfake.AWSCLI)
	names := reachNames()
	s := iamfake.New(names, nil)
	defer s.Close()
	var argvs [][]string
	for _, name := range names {
		argvs = append(argvs, []string{"iam", "list-access-keys", "--user-name=" + name})
	}
	var mangled []string
	for _, name := range names {
		if cliMangles(name) {
			mangled = append(mangled, name)
			// The form the commands use, as a shell hands it over.
			arg := string(appendUserArg(nil, name))
			opt, value, _ := strings.Cut(arg, " ")
			argvs = append(argvs, []string{"iam", "list-access-keys", opt, strings.Trim(value, "'")})
		}
	}
	runs := s.RunCLI(t, argvs)
	var want, got []string
	for i, name := range names {
		switch {
		case cliMangles(name) && runs[i].Code == 0:
			t.Errorf("--user-name=%s: the CLI ran, so the name is not mangled:\n%s", name, runs[i].Stdout)
		case cliMangles(name) && !strings.Contains(runs[i].Stderr, "Invalid type for parameter UserName"):
			t.Errorf("--user-name=%s: %d %s", name, runs[i].Code, runs[i].Stderr)
		case !cliMangles(name) && runs[i].Code != 0:
			t.Errorf("--user-name=%s: exit %d: %s", name, runs[i].Code, runs[i].Stderr)
		case !cliMangles(name):
			want = append(want, name)
		}
	}
	for i := range mangled {
		if r := runs[len(names)+i]; r.Code != 0 {
			t.Errorf("%s: exit %d: %s", argvs[len(names)+i], r.Code, r.Stderr)
		}
	}
	want = append(want, mangled...)
	for _, q := range s.Requests() {
		got = append(got, q.Params.Get("UserName"))
	}
	sort.Strings(want)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("IAM received %d user names, want %d:\n%q\nwant\n%q", len(got), len(want), got, want)
	}
	if len(mangled) == 0 {
		t.Error("no name needs the JSON form: the class is untested")
	}
}

// cliNames covers every character IAM allows in a user name, at the start,
// in the middle and at the end, names the CLI could mistake for options,
// and every class of appendUserArg.
func cliNames() []string {
	names := []string{"a+b=c,d.e@f_g-h", "-", "--", "---", "--help", "--user-name", "=1+2", "0", "Zz", strings.Repeat("x", 63) + "-"}
	for _, c := range "+=,.@_-" {
		names = append(names, string(c)+"mid"+string(c))
	}
	return names
}

var (
	setupTime  = time.Date(2024, 11, 11, 11, 11, 21, 0, time.UTC)
	setupKeyID = "AKIASETUPKEY00000001"
	otherKey   = "AKIAOTHERKEY00000002"
	bystander  = "AKIABYSTANDER0000003"
)

// storeFor holds the setup key, another key of the same user, and a key of
// another user created at the very same second.
func storeFor(name string) []iamfake.Key {
	return []iamfake.Key{
		{User: name, ID: setupKeyID, Status: "Active", Created: setupTime},
		{User: name, ID: otherKey, Status: "Active", Created: setupTime.Add(time.Hour)},
		{User: "bystander", ID: bystander, Status: "Active", Created: setupTime},
	}
}

func runSh(t *testing.T, env []string, command string) (string, error) {
	t.Helper()
	cmd := exec.Command("sh", "-c", command)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestImplementWithRealCLI runs the implementation commands with the real
// AWS CLI v2 against a loopback IAM endpoint, for every kind of legal name,
// with and without a key id: exactly the setup keys are deactivated, then
// deleted, and nothing else is touched. Every user has another key, and a
// bystander has a key created at the very same second; the endpoint
// returns one key per page, so the run-time selection must work across
// pages. One endpoint holds every name, so the CLI is started once per
// case of key id, not once per name.
func TestImplementWithRealCLI(t *testing.T) {
	iamfake.RequireTool(t, iamfake.AWSCLI)
	for _, withID := range []bool{false, true} {
		t.Run(fmt.Sprintf("key id %v", withID), func(t *testing.T) {
			t.Parallel()
			names := cliNames()
			var keys []iamfake.Key
			for i, name := range names {
				keys = append(keys,
					iamfake.Key{User: name, ID: fmt.Sprintf("AKIASETUPKEY%08d", i), Status: "Active", Created: setupTime},
					iamfake.Key{User: name, ID: fmt.Sprintf("AKIAOTHERKEY%08d", i), Status: "Active", Created: setupTime.Add(time.Hour)})
			}
			keys = append(keys, iamfake.Key{User: "bystander", ID: bystander, Status: "Active", Created: setupTime})
			s := iamfake.New(nil, keys)
			defer s.Close()
			s.PageSize = 1
			env := s.CLIEnv(t)
			var script []string
			var want []string
			for i, name := range names {
				id := fmt.Sprintf("AKIASETUPKEY%08d", i)
				f := &Finding{Check: "setup-key", User: name, KeyActive: true, KeyCreated: setupTime}
				if withID {
					f.KeyID = id
				}
				// Each command in its own subshell, so that one failing
				// does not hide the others.
				for _, cmd := range f.Commands().Implement {
					script = append(script, "("+cmd+") || echo FAILED: "+name)
				}
				want = append(want, "UpdateAccessKey "+name+" "+id+" Inactive", "DeleteAccessKey "+name+" "+id)
			}
			out, err := runSh(t, env, strings.Join(script, "\n"))
			if err != nil || strings.Contains(out, "FAILED") {
				t.Fatalf("%v\n%s", err, out)
			}
			if got := s.Mutations(); !reflect.DeepEqual(got, want) {
				t.Errorf("requests that changed IAM:\n%q\nwant\n%q", got, want)
			}
			var left []string
			for _, k := range s.Keys() {
				left = append(left, k.ID+" "+k.Status)
			}
			var wantLeft []string
			for i := range names {
				wantLeft = append(wantLeft, fmt.Sprintf("AKIAOTHERKEY%08d Active", i))
			}
			wantLeft = append(wantLeft, bystander+" Active")
			sort.Strings(left)
			sort.Strings(wantLeft)
			if !reflect.DeepEqual(left, wantLeft) {
				t.Errorf("store after implement: %v, want %v", left, wantLeft)
			}
		})
	}
}

// TestLifecycleWithRealCLI runs every command of a finding in the order a
// change would: test, deactivate, back out (reactivate), deactivate again,
// delete, back out (recreate).
func TestLifecycleWithRealCLI(t *testing.T) {
	iamfake.RequireTool(t, iamfake.AWSCLI)
	for _, withID := range []bool{false, true} {
		for _, name := range []string{"-x", "--"} {
			t.Run(fmt.Sprintf("%s key id %v", name, withID), func(t *testing.T) {
				t.Parallel()
				lifecycle(t, name, withID)
			})
		}
	}
}

// lifecycle runs every command of one finding, for user name, in order.
func lifecycle(t *testing.T, name string, withID bool) {
	s := iamfake.New(nil, storeFor(name))
	defer s.Close()
	env := s.CLIEnv(t)
	f := &Finding{Check: "setup-key", User: name, KeyActive: true, KeyCreated: setupTime}
	if withID {
		f.KeyID = setupKeyID
	}
	c := f.Commands()
	status := func() string {
		for _, k := range s.Keys() {
			if k.ID == setupKeyID {
				return k.Status
			}
		}
		return "deleted"
	}
	steps := []struct {
		cmd, status string
		output      string
	}{
		{c.Test[0], "Active", setupKeyID},
		{c.Test[1], "Active", `"ServiceName": "N/A"`},
		{c.Implement[0], "Inactive", ""},
		{c.Backout[0], "Active", ""},
		{c.Implement[0], "Inactive", ""},
		{c.Implement[1], "deleted", ""},
		{c.Backout[1], "deleted", "AKIANEWKEY0000000001"},
	}
	for _, st := range steps {
		out, err := runSh(t, env, st.cmd)
		if err != nil {
			t.Fatalf("%s\n%v\n%s", st.cmd, err, out)
		}
		if got := status(); got != st.status {
			t.Errorf("after %s\nkey is %s, want %s", st.cmd, got, st.status)
		}
		if !strings.Contains(out, st.output) {
			t.Errorf("%s\nprinted %s, want it to contain %s", st.cmd, out, st.output)
		}
	}
	if n := len(s.Keys()); n != 3 {
		t.Errorf("%d keys at the end, want 3 (other, bystander, new)", n)
	}
}

// TestRunTimeSelectionRefuses pins that a run-time selecting command touches
// nothing, and fails, unless exactly one key matches.
func TestRunTimeSelectionRefuses(t *testing.T) {
	iamfake.RequireTool(t, iamfake.AWSCLI)
	tests := []struct {
		name string
		keys []iamfake.Key
	}{
		{"no key created at that second", []iamfake.Key{{User: "alice", ID: setupKeyID, Status: "Active", Created: setupTime.Add(time.Second)}}},
		{"two keys created at that second", []iamfake.Key{{User: "alice", ID: setupKeyID, Status: "Active", Created: setupTime}, {User: "alice", ID: otherKey, Status: "Active", Created: setupTime}}},
		{"the key's user does not exist", []iamfake.Key{{User: "bob", ID: setupKeyID, Status: "Active", Created: setupTime}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := iamfake.New(nil, tt.keys)
			defer s.Close()
			env := s.CLIEnv(t)
			c := (&Finding{Check: "setup-key", User: "alice", KeyCreated: setupTime}).Commands()
			out, err := runSh(t, env, c.Implement[1])
			if err == nil {
				t.Errorf("the command succeeded:\n%s", out)
			}
			if m := s.Mutations(); len(m) != 0 {
				t.Errorf("IAM was changed: %q", m)
			}
			if tt.name != "the key's user does not exist" && !strings.Contains(out, "credreview: alice has no single access key created 2024-11-11T11:11:21Z; nothing changed") {
				t.Errorf("message: %s", out)
			}
		})
	}
}

// TestDeleteNeedsInactiveWithRealCLI pins, with the real AWS CLI, that the
// delete command deletes only an Inactive key, leaving an Active one in
// place with a message, with and without a key id; and that the lookup
// prints the key's id and status.
func TestDeleteNeedsInactiveWithRealCLI(t *testing.T) {
	iamfake.RequireTool(t, iamfake.AWSCLI)
	s := iamfake.New(nil, storeFor("-x"))
	defer s.Close()
	s.PageSize = 1
	env := s.CLIEnv(t)
	for _, withID := range []bool{false, true} {
		f := &Finding{Check: "setup-key", User: "-x", KeyActive: true, KeyCreated: setupTime}
		if withID {
			f.KeyID = setupKeyID
		}
		c := f.Commands()
		out, err := runSh(t, env, c.Lookup)
		if err != nil || strings.Join(strings.Fields(out), " ") != setupKeyID+" Active" {
			t.Errorf("key id %v: lookup printed %q (%v), want the key's id and Active", withID, out, err)
		}
		out, err = runSh(t, env, c.Implement[1])
		if err == nil || !strings.Contains(out, "credreview: key "+setupKeyID+" of -x is Active, not Inactive: deactivate it first; nothing deleted") {
			t.Errorf("key id %v: delete of an Active key: %v\n%s", withID, err, out)
		}
	}
	if m := s.Mutations(); len(m) != 0 {
		t.Errorf("IAM was changed: %q", m)
	}
	// Gone, the key is not deleted again, and the command says so.
	c := (&Finding{Check: "setup-key", User: "-x", KeyID: "AKIANOSUCHKEY0000001", KeyActive: true, KeyCreated: setupTime}).Commands()
	if out, err := runSh(t, env, c.Implement[1]); err == nil || !strings.Contains(out, "credreview: -x has no access key AKIANOSUCHKEY0000001; nothing deleted") {
		t.Errorf("delete of a key that is gone: %v\n%s", err, out)
	}
}

// TestFailedListingChangesNothing pins, with the real AWS CLI, that a
// command whose listing of the keys fails (access denied on the second
// page, after the first gave a key) fails with AWS's error and changes
// nothing: a failed listing never passes for "no key" or "one key".
func TestFailedListingChangesNothing(t *testing.T) {
	iamfake.RequireTool(t, iamfake.AWSCLI)
	keys := append(storeFor("-x"), iamfake.Key{User: "-x", ID: "AKIASAMESECOND000004", Status: "Inactive", Created: setupTime})
	s := iamfake.New(nil, keys)
	defer s.Close()
	s.PageSize = 1
	s.Fail = func(q iamfake.Request) *iamfake.Fault {
		if q.Action == "ListAccessKeys" && q.Params.Get("Marker") != "" {
			return &iamfake.Fault{Status: 403, Code: "AccessDenied", Message: "User is not authorized to perform: iam:ListAccessKeys"}
		}
		return nil
	}
	env := s.CLIEnv(t)
	for _, withID := range []bool{false, true} {
		f := &Finding{Check: "setup-key", User: "-x", KeyActive: true, KeyCreated: setupTime}
		if withID {
			f.KeyID = setupKeyID
		}
		c := f.Commands()
		for _, cmd := range []string{c.Test[1], c.Implement[0], c.Implement[1], c.Backout[0]} {
			if withID && !strings.HasPrefix(cmd, "credreview_keys=") {
				continue // with a key id, only delete lists the keys
			}
			out, err := runSh(t, env, cmd)
			if err == nil || !strings.Contains(out, "AccessDenied") || strings.Contains(out, "has no single access key") {
				t.Errorf("key id %v: %s\n%v\n%s", withID, cmd, err, out)
			}
		}
	}
	if m := s.Mutations(); len(m) != 0 {
		t.Errorf("IAM was changed: %q", m)
	}
}

// TestCheckCommandsWithRealCLI runs the commands of the checks other than
// setup-key with the real AWS CLI against the loopback endpoint, for a
// plain name and for the two the CLI needs written another way: each
// reaches IAM (or CloudTrail) as the action meant, for the user meant, and
// does what it says.
func TestCheckCommandsWithRealCLI(t *testing.T) {
	iamfake.RequireTool(t, iamfake.AWSCLI)
	names := []string{"alice", "-x", "--"}
	var keys []iamfake.Key
	for i, n := range names {
		keys = append(keys,
			iamfake.Key{User: n, ID: fmt.Sprintf("AKIAOLDKEY%010d", i), Status: "Active", Created: setupTime},
			iamfake.Key{User: n, ID: fmt.Sprintf("AKIABYSTANDER%07d", i), Status: "Active", Created: setupTime.Add(time.Hour)})
	}
	s := iamfake.New(nil, keys)
	defer s.Close()
	s.LoginProfiles = map[string]time.Time{}
	for _, n := range names {
		s.LoginProfiles[n] = setupTime
	}
	s.Summary = map[string]int{"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 1}
	s.Events = []map[string]any{{"EventTime": 1.7e9, "EventName": "ConsoleLogin", "EventSource": "signin.amazonaws.com"}}
	env := append(s.CLIEnv(t), "NEW_PASSWORD=Correct-Horse-9")
	var script []string
	var want []string
	for i, n := range names {
		pw := (&Finding{Check: "unused-credentials", User: n, KeySlot: 0}).Commands()
		rot := (&Finding{Check: "key-rotation", User: n, KeySlot: 1, KeyActive: true, KeyCreated: setupTime}).Commands()
		mfa := (&Finding{Check: "console-mfa", User: n}).Commands()
		for _, c := range []string{pw.Test[0], pw.Lookup, pw.Deactivate, pw.Backout[0], mfa.Test[0], rot.Implement[0], rot.Deactivate, rot.Delete} {
			script = append(script, fmt.Sprintf("(\n%s\n) >/dev/null || echo FAILED: command %d", c, len(script))) // a command may end in a comment
		}
		old := fmt.Sprintf("AKIAOLDKEY%010d", i)
		want = append(want,
			"GetLoginProfile "+n, "GetLoginProfile "+n, "DeleteLoginProfile "+n, "CreateLoginProfile "+n+" Correct-Horse-9 true",
			"ListMFADevices "+n, "CreateAccessKey "+n, "UpdateAccessKey "+n+" "+old+" Inactive", "DeleteAccessKey "+n+" "+old)
	}
	for _, c := range []string{(&Finding{Check: "root-mfa"}).Commands().Test[0], (&Finding{Check: "root-access-key", KeySlot: 1}).Commands().Test[0], (&Finding{Check: "root-used"}).Commands().Test[0]} {
		script = append(script, fmt.Sprintf("(\n%s\n) || echo FAILED: command %d", c, len(script)))
	}
	want = append(want, "GetAccountSummary", "GetAccountSummary", "LookupEvents")
	out, err := runSh(t, env, strings.Join(script, "\n"))
	if err != nil || strings.Contains(out, "FAILED") {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, w := range []string{"0\n", "1\n", "ConsoleLogin"} {
		if !strings.Contains(out, w) {
			t.Errorf("the root users' tests print %q? output:\n%s", w, out)
		}
	}
	var got []string
	for _, q := range s.Requests() {
		switch q.Action {
		case "GetLoginProfile", "DeleteLoginProfile", "ListMFADevices", "CreateAccessKey":
			got = append(got, q.Action+" "+q.Params.Get("UserName"))
		case "CreateLoginProfile":
			got = append(got, q.Action+" "+q.Params.Get("UserName")+" "+q.Params.Get("Password")+" "+q.Params.Get("PasswordResetRequired"))
		case "UpdateAccessKey":
			got = append(got, q.Action+" "+q.Params.Get("UserName")+" "+q.Params.Get("AccessKeyId")+" "+q.Params.Get("Status"))
		case "DeleteAccessKey":
			got = append(got, q.Action+" "+q.Params.Get("UserName")+" "+q.Params.Get("AccessKeyId"))
		case "GetAccountSummary", "LookupEvents":
			got = append(got, q.Action)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("requests:\n%q\nwant\n%q", got, want)
	}
	for _, k := range s.Keys() {
		if strings.HasPrefix(k.ID, "AKIABYSTANDER") && k.Status != "Active" {
			t.Errorf("a key the commands were not about changed: %+v", k)
		}
	}
}
