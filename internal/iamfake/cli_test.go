package iamfake

import (
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestWarmCLIIsTheCLI holds the warm CLI to the cold one: for commands that
// succeed, fail at IAM, fail in the CLI's own parsing, and run with an
// environment of their own, both print the same, exit the same and send
// IAM the same requests.
func TestWarmCLIIsTheCLI(t *testing.T) {
	RequireTool(t, AWSCLI)
	created := time.Date(2024, 11, 11, 11, 11, 21, 0, time.UTC)
	keys := []Key{
		{User: "--help", ID: "AKIASETUPKEY00000001", Status: "Active", Created: created},
		{User: "-x", ID: "AKIASETUPKEY00000002", Status: "Inactive", Created: created},
		{User: "-x", ID: "AKIAOTHERKEY00000003", Status: "Active", Created: created.Add(time.Hour)},
	}
	commands := []string{
		"aws iam list-access-keys --user-name=--help",
		`aws iam list-access-keys --user-name=-x --output text --query "AccessKeyMetadata[?starts_with(CreateDate, '2024-11-11T11:11:21')].AccessKeyId"`,
		"aws iam update-access-key --user-name=-x --access-key-id=AKIAOTHERKEY00000003 --status Inactive && aws iam list-access-keys --user-name=-x",
		"aws iam update-access-key --user-name=nobody --access-key-id=AKIASETUPKEY00000001 --status Inactive",
		"aws iam list-access-keys --user-name=--",
		"aws iam no-such-operation",
		"aws iam list-access-keys --no-such-option",
		"AWS_DEFAULT_OUTPUT=text aws iam list-access-keys --user-name=-x",
		"echo ignored | aws iam get-access-key-last-used --access-key-id=AKIASETUPKEY00000002; echo rc=$?",
		"cd / && aws --version",
	}
	type result struct {
		code           int
		stdout, stderr string
		requests       []string
	}
	runAll := func(warm bool) []result {
		s := New(nil, keys)
		defer s.Close()
		env := s.CLIEnvCold(t)
		if warm {
			env = s.CLIEnv(t)
		}
		var out []result
		defer func() {
			// Warm, every call but the one with its own AWS_DEFAULT_OUTPUT
			// ran in the warm server: 11 calls in 10 commands.
			w, c := s.CLICalls()
			if want := map[bool][2]int{true: {10, 1}}[warm]; w != want[0] || c != want[1] {
				t.Errorf("warm %v: %d calls ran warm and %d cold, want %d and %d", warm, w, c, want[0], want[1])
			}
		}()
		for _, c := range commands {
			cmd := exec.Command("sh", "-c", c)
			cmd.Env = env
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			r := result{stdout: stdout.String(), stderr: stderr.String()}
			if ee, ok := err.(*exec.ExitError); ok {
				r.code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			for _, q := range s.Requests() {
				r.requests = append(r.requests, fmt.Sprintf("%s %v %s", q.Action, q.Params, q.AccessKey))
			}
			s.Lock()
			s.requests = nil
			s.Unlock()
			out = append(out, r)
		}
		return out
	}
	t0 := time.Now()
	cold := runAll(false)
	t1 := time.Now()
	warm := runAll(true)
	t.Logf("cold %v, warm %v", t1.Sub(t0), time.Since(t1))
	for i, c := range commands {
		if !reflect.DeepEqual(cold[i], warm[i]) {
			t.Errorf("%s\ncold: %+v\nwarm: %+v", c, cold[i], warm[i])
		}
	}
	// The commands reach both IAM and the CLI's own errors.
	if cold[3].code != 254 || !strings.Contains(cold[3].stderr, "NoSuchEntity") {
		t.Errorf("a failed call: %+v", cold[3])
	}
	if cold[0].code != 0 || !strings.Contains(cold[0].stdout, "AKIASETUPKEY00000001") {
		t.Errorf("list-access-keys --user-name=--help: %+v", cold[0])
	}
}
