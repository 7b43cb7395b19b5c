package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credreview/credreview/internal/iamfake"
)

const fetchReport = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
	"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
	"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
	"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n" +
	"<root_account>,arn:aws:iam::ACCOUNT:root,2019-01-01T00:00:00+00:00,not_supported,2026-11-19T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
	"alice,arn:aws:iam::ACCOUNT:user/alice,2025-01-01T00:00:00+00:00,true,N/A,N/A,N/A,false,true,2025-01-01T00:00:04+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"

// fakeAccount serves one account's report and alice's key.
func fakeAccount(t *testing.T, account string) *iamfake.Server {
	s := iamfake.New(nil, []iamfake.Key{{User: "alice", ID: "AKIA" + account + "0000", Status: "Active", Created: time.Date(2025, 1, 1, 0, 0, 4, 0, time.UTC)}})
	t.Cleanup(s.Close)
	s.Report = []byte(strings.ReplaceAll(fetchReport, "ACCOUNT", account))
	s.Generated = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	return s
}

// awsEnv isolates the SDK's configuration from the machine's.
func awsEnv(t *testing.T, configFile string) {
	dir := t.TempDir()
	for _, v := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	if configFile == "" {
		configFile = filepath.Join(dir, "config")
		os.WriteFile(configFile, nil, 0o600)
	}
	t.Setenv("AWS_CONFIG_FILE", configFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("HOME", dir)
}

func dirFiles(t *testing.T, dir string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestFetchProfiles exports two named profiles, each with its own endpoint
// in the shared config file, one of which is denied: the other is saved,
// and the run says so and exits 1.
func TestFetchProfiles(t *testing.T) {
	ok := fakeAccount(t, "111111111111")
	denied := fakeAccount(t, "222222222222")
	denied.Faults["GenerateCredentialReport"] = []iamfake.Fault{{Status: 403, Code: "AccessDenied", Message: "not authorized to perform: iam:GenerateCredentialReport"}}
	config := filepath.Join(t.TempDir(), "config")
	os.WriteFile(config, []byte(`[profile ok]
region = eu-west-1
endpoint_url = `+ok.URL+`
aws_access_key_id = AKIDPROFILEOK000
aws_secret_access_key = secret-ok

[profile denied]
endpoint_url = `+denied.URL+`
aws_access_key_id = AKIDPROFILEDENIED
aws_secret_access_key = secret-denied
`), 0o600)
	awsEnv(t, config)
	out := filepath.Join(t.TempDir(), "evidence")
	code, stdout, stderr := credreview(t, "", "fetch", "--profile", "ok", "--profile", "denied", "-o", out)
	if code != 1 || stdout != "" {
		t.Errorf("exit %d, stdout %q", code, stdout)
	}
	for _, want := range []string{
		"credreview: fetch: profile ok: generating the credential report\n",
		"credreview: fetch: profile ok: account 111111111111: saved " + filepath.Join(out, "111111111111.credential-report.json") + " and " + filepath.Join(out, "111111111111.access-keys.json") + " (1 keys)\n",
		"credreview: error: fetch: profile denied: access denied to iam:GenerateCredentialReport: the credentials need iam:GenerateCredentialReport, iam:GetCredentialReport and iam:ListAccessKeys: not authorized to perform: iam:GenerateCredentialReport\n",
		"credreview: hint: grant iam:GenerateCredentialReport, iam:GetCredentialReport and iam:ListAccessKeys to these credentials, or use others with --profile or --role-arn\n",
		"credreview: fetch: saved 1 account in " + out + " (111111111111); 1 failed (profile denied)\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "secret") {
		t.Errorf("a secret was printed:\n%s", stderr)
	}
	if got := dirFiles(t, out); !reflect.DeepEqual(got, []string{"111111111111.access-keys.json", "111111111111.credential-report.json"}) {
		t.Errorf("files %q", got)
	}
	for _, r := range ok.Requests() {
		if r.AccessKey != "AKIDPROFILEOK000" {
			t.Errorf("%s signed with %q, want the profile's key", r.Action, r.AccessKey)
		}
	}

	// What fetch saved, analyze reads, with the key's id.
	code, stdout, stderr = credreview(t, "", "analyze", "-q", "-f", "json", "-o", "-", out)
	if code != 0 || !strings.Contains(stdout, `"key_id": "AKIA1111111111110000"`) {
		t.Errorf("analyze of the saved folder: exit %d\n%s\n%s", code, stderr, stdout)
	}
}

// TestFetchEnvironment uses the default chain: keys and the IAM endpoint
// from the environment.
func TestFetchEnvironment(t *testing.T) {
	s := fakeAccount(t, "333333333333")
	awsEnv(t, "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENVIRON0")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_ENDPOINT_URL_IAM", s.URL)
	out := t.TempDir()
	code, _, stderr := credreview(t, "", "fetch", "-q", "-o", out)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if got := dirFiles(t, out); len(got) != 2 {
		t.Errorf("files %q", got)
	}
	if r := s.Requests(); len(r) == 0 || r[0].AccessKey != "AKIDFROMENVIRON0" {
		t.Errorf("requests %+v", r)
	}
}

// TestFetchRole assumes a role from the base credentials and exports with
// the role's credentials.
func TestFetchRole(t *testing.T) {
	s := fakeAccount(t, "444444444444")
	awsEnv(t, "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDBASECREDS000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_ENDPOINT_URL", s.URL) // STS and IAM both
	out := t.TempDir()
	role := "arn:aws:iam::444444444444:role/Audit"
	code, _, stderr := credreview(t, "", "fetch", "--role-arn", role, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	reqs := s.Requests()
	if len(reqs) < 2 || reqs[0].Action != "AssumeRole" || reqs[0].Params.Get("RoleArn") != role || reqs[0].AccessKey != "AKIDBASECREDS000" {
		t.Fatalf("first request %+v, want AssumeRole of %s with the base credentials", reqs[0], role)
	}
	for _, r := range reqs[1:] {
		if r.AccessKey != iamfake.AssumedKey {
			t.Errorf("%s signed with %q, want the role's credentials", r.Action, r.AccessKey)
		}
	}
	if !strings.Contains(stderr, "credreview: fetch: role "+role+": account 444444444444: saved") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

func TestFetchUsage(t *testing.T) {
	code, stdout, _ := credreview(t, "", "fetch", "--help")
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	golden(t, "fetch-help.txt", stdout)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"fetch"}, "credreview: error: -o DIR is required"},
		{[]string{"fetch", "-o", "-"}, "credreview: error: -o DIR is required"},
		{[]string{"fetch", "-o", "x", "extra"}, `credreview: error: fetch takes no arguments, but was given ["extra"]`},
		{[]string{"fetch", "-o", "x", "--timeout", "0s"}, "credreview: error: --timeout 0s must be positive"},
		{[]string{"fetch", "-o", "x", "--role-arn", "r", "--profile", "a", "--profile", "b"}, "credreview: error: --role-arn assumes roles from one base profile"},
	} {
		code, _, stderr := credreview(t, "", tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, `credreview: hint: run "credreview fetch --help" for usage`) {
			t.Errorf("%q: exit %d, stderr %q", tt.args, code, stderr)
		}
	}
}
