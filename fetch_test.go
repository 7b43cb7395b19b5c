package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/internal/cli"
	"github.com/credreview/credreview/internal/custody"
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
	s.Account = account // whose credentials STS says they are
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
	if !strings.Contains(stderr, "credreview: fetch: sealed 2 files of 1 account in "+filepath.Join(out, "credential-evidence.json")+"\n") {
		t.Errorf("stderr does not say that the evidence was sealed:\n%s", stderr)
	}
	if got := dirFiles(t, out); !reflect.DeepEqual(got, []string{"111111111111.access-keys.json", "111111111111.credential-report.json", "credential-evidence.json"}) {
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
	t.Setenv("AWS_ENDPOINT_URL_STS", s.URL)
	out := t.TempDir()
	code, _, stderr := credreview(t, "", "fetch", "-q", "-o", out)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if got := dirFiles(t, out); len(got) != 3 {
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

// readManifest reads the evidence manifest of dir, as analyze does.
func readManifest(t *testing.T, dir string) *custody.Manifest {
	t.Helper()
	m, _, err := custody.Read(filepath.Join(dir, custody.EvidenceName))
	if err != nil {
		t.Fatalf("the evidence manifest: %v", err)
	}
	return m
}

// checkHashes checks that every file a manifest lists is in dir with its
// size and SHA-256.
func checkHashes(t *testing.T, dir string, m *custody.Manifest) {
	t.Helper()
	for _, f := range m.Files {
		size, sum, err := custody.HashFile(filepath.Join(dir, filepath.FromSlash(f.Name)))
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		if size != f.Size || sum != f.SHA256 {
			t.Errorf("%s: listed with %d bytes, SHA-256 %s; it has %d bytes, SHA-256 %s", f.Name, f.Size, f.SHA256, size, sum)
		}
	}
}

// analyzeErrors analyses dir as analyze DIR does, and returns its errors:
// among them, what the check of the evidence against its manifest found.
func analyzeErrors(t *testing.T, dir string) []string {
	t.Helper()
	res := analyze.Analyze(context.Background(), []string{dir}, nil, analyze.Options{})
	var errs []string
	for _, p := range res.Errors {
		errs = append(errs, p.Error())
	}
	return errs
}

// TestFetchManifest pins the evidence manifest fetch writes: the files this
// run saved with their hashes and kinds, and per account the identity of
// the credentials that fetched it; analyze finds the folder intact, and a
// file added afterwards an error.
func TestFetchManifest(t *testing.T) {
	a := fakeAccount(t, "111111111111")
	b := fakeAccount(t, "222222222222")
	config := filepath.Join(t.TempDir(), "config")
	os.WriteFile(config, []byte(`[profile a]
endpoint_url = `+a.URL+`
aws_access_key_id = AKIDPROFILEA0000
aws_secret_access_key = secret-a

[profile b]
endpoint_url = `+b.URL+`
aws_access_key_id = AKIDPROFILEB0000
aws_secret_access_key = secret-b
`), 0o600)
	awsEnv(t, config)
	out := filepath.Join(t.TempDir(), "evidence")
	start := time.Now().UTC().Truncate(time.Second)
	code, _, stderr := credreview(t, "", "fetch", "--profile", "a", "--profile", "b", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if want := "credreview: fetch: sealed 4 files of 2 accounts in " + filepath.Join(out, "credential-evidence.json") + "\n"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("warnings:\n%s", stderr)
	}
	m := readManifest(t, out)
	if m.ManifestVersion != custody.Version || m.Kind != custody.KindEvidence || m.SealedBy != "fetch" || m.Tool != (custody.Tool{Name: "credreview", Version: cli.Version}) {
		t.Errorf("manifest %+v", m)
	}
	created, err := time.Parse(time.RFC3339, m.Created)
	if err != nil || !strings.HasSuffix(m.Created, "Z") || created.Before(start) || created.After(time.Now()) {
		t.Errorf("created %q, want the clock in UTC, to the second (%v)", m.Created, err)
	}
	wantAccounts := []custody.Account{
		{AccountID: "111111111111", CallerARN: "arn:aws:iam::111111111111:user/operator", CallerUserID: "AIDAOPERATORFAKE0001", CallerAccount: "111111111111", Target: "profile a"},
		{AccountID: "222222222222", CallerARN: "arn:aws:iam::222222222222:user/operator", CallerUserID: "AIDAOPERATORFAKE0001", CallerAccount: "222222222222", Target: "profile b"},
	}
	if !reflect.DeepEqual(m.Accounts, wantAccounts) {
		t.Errorf("accounts\n%+v\nwant\n%+v", m.Accounts, wantAccounts)
	}
	var got []string
	for _, f := range m.Files {
		got = append(got, strings.Join([]string{f.Name, f.Kind, f.AccountID, f.GeneratedTime}, " "))
	}
	want := []string{
		"111111111111.access-keys.json access-keys 111111111111 ",
		"111111111111.credential-report.json credential-report 111111111111 2026-11-20T12:00:00Z",
		"222222222222.access-keys.json access-keys 222222222222 ",
		"222222222222.credential-report.json credential-report 222222222222 2026-11-20T12:00:00Z",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files\n%q\nwant\n%q", got, want)
	}
	checkHashes(t, out, m)
	if errs := analyzeErrors(t, out); len(errs) > 0 {
		t.Errorf("analyze of the sealed folder: %q", errs)
	}
	decoy := filepath.Join(out, "333333333333.credential-report.csv")
	os.WriteFile(decoy, []byte(strings.ReplaceAll(fetchReport, "ACCOUNT", "333333333333")), 0o644)
	if errs := analyzeErrors(t, out); !strings.Contains(strings.Join(errs, "\n"), decoy+": ") {
		t.Errorf("analyze of the folder with a file added: errors %q, want one of %s", errs, decoy)
	}
}

// TestFetchManifestOtherFiles pins that the manifest lists this run's
// files only, and that fetch warns of the others, which analyze would
// refuse; and that a second run replaces the first run's manifest.
func TestFetchManifestOtherFiles(t *testing.T) {
	s := fakeAccount(t, "555555555555")
	awsEnv(t, "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENVIRON0")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_ENDPOINT_URL", s.URL)
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "notes.txt"), []byte("collected by hand\n"), 0o644)
	os.MkdirAll(filepath.Join(out, "older"), 0o755)
	os.WriteFile(filepath.Join(out, "older", "555555555555.csv"), []byte(strings.ReplaceAll(fetchReport, "ACCOUNT", "555555555555")), 0o644)
	os.WriteFile(filepath.Join(out, ".hidden"), nil, 0o644)              // analyze skips it
	os.WriteFile(filepath.Join(out, "credential-review.md"), nil, 0o644) // and its own outputs
	code, _, stderr := credreview(t, "", "fetch", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	want := "credreview: warning: fetch: " + out + " holds 2 files that this run did not save (" + filepath.Join(out, "notes.txt") + ", " + filepath.Join(out, "older", "555555555555.csv") +
		"): analyze will refuse them, since credential-evidence.json does not list them; fetch into an empty folder, or seal the folder as it is with credreview seal --force " + out + "\n"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	m := readManifest(t, out)
	var names []string
	for _, f := range m.Files {
		names = append(names, f.Name)
	}
	if want := []string{"555555555555.access-keys.json", "555555555555.credential-report.json"}; !reflect.DeepEqual(names, want) {
		t.Errorf("listed %q, want %q", names, want)
	}
	// The advice works: sealed as it is, analyze finds it intact.
	if code, _, stderr := credreview(t, "", "seal", "-q", "--force", out); code != 0 {
		t.Fatalf("seal --force: exit %d\n%s", code, stderr)
	}
	if errs := analyzeErrors(t, out); len(errs) > 0 {
		t.Errorf("analyze after seal --force: %q", errs)
	}

	code, _, stderr = credreview(t, "", "fetch", "-o", out)
	if want := "credreview: fetch: sealed 2 files of 1 account in " + filepath.Join(out, "credential-evidence.json") + ", replacing an earlier run's manifest\n"; code != 0 || !strings.Contains(stderr, want) {
		t.Errorf("a second run: exit %d; stderr lacks %q:\n%s", code, want, stderr)
	}
}

// TestFetchCallerUnknown pins that an account whose caller identity STS
// would not give is saved, with a warning, and the manifest says unknown.
func TestFetchCallerUnknown(t *testing.T) {
	s := fakeAccount(t, "666666666666")
	s.Faults["GetCallerIdentity"] = []iamfake.Fault{{Status: 403, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid"}}
	awsEnv(t, "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENVIRON0")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_ENDPOINT_URL", s.URL)
	out := t.TempDir()
	code, _, stderr := credreview(t, "", "fetch", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if want := "credreview: warning: fetch: default credentials: the evidence manifest records the credentials that fetched account 666666666666 as unknown: sts:GetCallerIdentity: InvalidClientTokenId: The security token included in the request is invalid\n"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	want := []custody.Account{{AccountID: "666666666666", CallerARN: "unknown", CallerUserID: "unknown", CallerAccount: "unknown", Target: "default credentials"}}
	if m := readManifest(t, out); !reflect.DeepEqual(m.Accounts, want) {
		t.Errorf("accounts %+v, want %+v", m.Accounts, want)
	}
}

// TestFetchNothingSaved pins that a run that saved no account writes no
// manifest.
func TestFetchNothingSaved(t *testing.T) {
	s := fakeAccount(t, "777777777777")
	s.Faults["GenerateCredentialReport"] = []iamfake.Fault{{Status: 403, Code: "AccessDenied", Message: "no"}}
	awsEnv(t, "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENVIRON0")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_ENDPOINT_URL", s.URL)
	out := t.TempDir()
	if code, _, stderr := credreview(t, "", "fetch", "-o", out); code != 1 || strings.Contains(stderr, "sealed") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
	if got := dirFiles(t, out); len(got) != 0 {
		t.Errorf("files %q, want none", got)
	}
}

// signedFetch runs fetch --sign-key key against one fake account, and
// returns the folder it saved in and what it printed.
func signedFetch(t *testing.T, key string) (out, stderr string) {
	t.Helper()
	s := fakeAccount(t, "888888888888")
	awsEnv(t, "")
	noAgent(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENVIRON0")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_ENDPOINT_URL", s.URL)
	out = t.TempDir()
	code, _, stderr := credreview(t, "", "fetch", "--sign-key", key, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	return out, stderr
}

// TestFetchSignKey signs the manifest with a key made in Go, and checks
// the signature as analyze --allowed-signers does.
func TestFetchSignKey(t *testing.T) {
	key, allowed, fingerprint := signingKey(t, "")
	out, stderr := signedFetch(t, key)
	manifest := filepath.Join(out, "credential-evidence.json")
	if want := "credreview: fetch: signed it with " + fingerprint + " (" + key + "): " + manifest + ".sig\n"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if s := verifySignature(t, manifest, allowed); s.Fingerprint != fingerprint || s.Principal != "auditor@example.com" {
		t.Errorf("signed by %+v, want %s", s, fingerprint)
	}
}

// TestFetchSignKeyWithSSHKeygen signs with a key ssh-keygen made, and has
// ssh-keygen -Y verify check the signature, and refuse it once a byte of
// the manifest is changed.
func TestFetchSignKeyWithSSHKeygen(t *testing.T) {
	key, allowed, fingerprint := sshKeygenKey(t)
	out, stderr := signedFetch(t, key)
	if !strings.Contains(stderr, "credreview: fetch: signed it with "+fingerprint+" ") {
		t.Errorf("stderr does not name the key %s:\n%s", fingerprint, stderr)
	}
	checkWithSSHKeygen(t, filepath.Join(out, "credential-evidence.json"), allowed)
}

// TestFetchBadKey pins that a key that cannot sign fails the run before
// AWS is asked anything.
func TestFetchBadKey(t *testing.T) {
	dir := t.TempDir()
	encrypted, _, _ := signingKey(t, "correct horse")
	notKey := filepath.Join(dir, "notes.txt")
	os.WriteFile(notKey, []byte("not a key\n"), 0o600)
	missing := filepath.Join(dir, "missing")
	for _, tt := range []struct{ key, want string }{
		{missing, "credreview: error: --sign-key: read the signing key: open " + missing + ": no such file or directory\n"},
		{encrypted, "credreview: error: --sign-key: " + encrypted + " is encrypted, and there is no terminal to ask for its passphrase; add it to ssh-agent (ssh-add " + encrypted + ") and run again\n"},
		{notKey, "credreview: error: --sign-key: " + notKey + " is not an OpenSSH private key"},
	} {
		s := fakeAccount(t, "999999999999")
		awsEnv(t, "")
		noAgent(t)
		noTerminal(t)
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENVIRON0")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
		t.Setenv("AWS_ENDPOINT_URL", s.URL)
		out := filepath.Join(t.TempDir(), "evidence")
		code, _, stderr := credreview(t, "", "fetch", "--sign-key", tt.key, "-o", out)
		if code != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("--sign-key %s: exit %d, stderr lacks %q:\n%s", tt.key, code, tt.want, stderr)
		}
		if r := s.Requests(); len(r) > 0 {
			t.Errorf("--sign-key %s: AWS was asked %d things before the key was found bad", tt.key, len(r))
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("--sign-key %s: the folder was made", tt.key)
		}
	}
}
