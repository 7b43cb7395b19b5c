package fetch

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/internal/iamfake"
)

var _ = flag.Bool("update", false, "rewrite golden files (none in this package)")

// report is what the endpoint serves: as IAM writes it, unquoted (a user
// name with a comma), no final newline.
const report = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
	"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
	"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
	"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n" +
	"<root_account>,arn:aws:iam::123456789012:root,2019-01-01T00:00:00+00:00,not_supported,2026-11-19T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
	"a,b,arn:aws:iam::123456789012:user/a,b,2025-01-01T00:00:00+00:00,true,N/A,N/A,N/A,false,true,2025-01-01T00:00:03+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
	"alice,arn:aws:iam::123456789012:user/alice,2025-01-01T00:00:00+00:00,true,N/A,N/A,N/A,false,true,2025-01-01T00:00:04+00:00,N/A,N/A,N/A,true,2025-06-01T00:00:00+00:00,2026-01-01T00:00:00+00:00,us-east-1,s3,false,N/A,false,N/A\n" +
	"carol,arn:aws:iam::123456789012:user/carol,2025-01-01T00:00:00+00:00,true,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"

var generated = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func keys() []iamfake.Key {
	return []iamfake.Key{
		{User: "a,b", ID: "AKIAAB00000000000001", Status: "Active", Created: time.Date(2025, 1, 1, 0, 0, 3, 0, time.UTC)},
		{User: "alice", ID: "AKIAALICE00000000001", Status: "Active", Created: time.Date(2025, 1, 1, 0, 0, 4, 0, time.UTC)},
		{User: "alice", ID: "AKIAALICE00000000002", Status: "Active", Created: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)},
	}
}

func server(t *testing.T) *iamfake.Server {
	s := iamfake.New([]string{"carol"}, keys())
	t.Cleanup(s.Close)
	s.Report = []byte(report)
	s.Generated = generated
	return s
}

// zeroBackoff retries at once, so that tests of throttling stay fast.
type zeroBackoff struct{}

func (zeroBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

func testOptions(t *testing.T) (Options, *[]string) {
	var mu sync.Mutex
	var progress []string
	opts := DefaultOptions(t.TempDir())
	opts.Poll, opts.MaxPoll = time.Millisecond, 5*time.Millisecond
	opts.Timeout = 20 * time.Second
	opts.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = zeroBackoff{}
			o.RateLimiter = ratelimit.None
			o.MaxAttempts = 5
		})
	}
	opts.Progress = func(target, msg string) {
		mu.Lock()
		progress = append(progress, target+": "+msg)
		mu.Unlock()
	}
	return opts, &progress
}

func target(name string, s *iamfake.Server) Target {
	return Target{Name: name, Config: aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDFAKEFAKEFAKE", "fake", ""),
		BaseEndpoint: aws.String(s.URL),
	}}
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

// TestFetch exports an account through every kind of "not yet" and
// transient failure, and checks the evidence: the report byte for byte as
// served, every key of every page, and an analysis of the saved folder that
// names keys by id.
func TestFetch(t *testing.T) {
	s := server(t)
	s.GenerateStates = []string{"STARTED", "INPROGRESS", "INPROGRESS"}
	s.PageSize = 1
	s.Faults["GetCredentialReport"] = []iamfake.Fault{
		{Status: 404, Code: "ReportInProgress", Message: "Report generation in progress."},
		{Status: 404, Code: "ReportInProgress", Message: "Report generation in progress."},
		{Status: 410, Code: "ReportExpired", Message: "The report has expired."},
		{Status: 410, Code: "ReportNotPresent", Message: "No report exists."},
	}
	s.Faults["GenerateCredentialReport"] = []iamfake.Fault{{Status: 409, Code: "LimitExceeded", Message: "Rate exceeded."}}
	s.Faults["ListAccessKeys"] = []iamfake.Fault{
		{Status: 400, Code: "Throttling", Message: "Rate exceeded"},
		{Status: 400, Code: "Throttling", Message: "Rate exceeded"},
		{Status: 500, Code: "ServiceFailure", Message: "Internal failure."},
	}
	opts, progress := testOptions(t)
	saved := All(context.Background(), []Target{target("prod", s)}, opts)
	if len(saved) != 1 || saved[0].Err != nil {
		t.Fatalf("saved = %+v", saved)
	}
	sv := saved[0]
	if sv.Account != "123456789012" || sv.Users != 2 || sv.Keys != 3 || !sv.Generated.Equal(generated) {
		t.Errorf("saved = %+v", sv)
	}
	if got, want := sv.CallerARN+" "+sv.CallerUserID+" "+sv.CallerAccount, "arn:aws:iam::123456789012:user/operator AIDAOPERATORFAKE0001 123456789012"; got != want {
		t.Errorf("caller identity %q, want %q", got, want)
	}
	if len(sv.Warnings) != 0 {
		t.Errorf("warnings %q", sv.Warnings)
	}

	var rep struct{ Content, ReportFormat, GeneratedTime string }
	readJSON(t, filepath.Join(opts.Dir, "123456789012.credential-report.json"), &rep)
	content, err := base64.StdEncoding.DecodeString(rep.Content)
	if err != nil || !bytes.Equal(content, []byte(report)) {
		t.Errorf("saved Content is not the served report byte for byte (err %v)", err)
	}
	if rep.ReportFormat != "text/csv" || rep.GeneratedTime != "2026-11-20T12:00:00+00:00" {
		t.Errorf("ReportFormat %q, GeneratedTime %q", rep.ReportFormat, rep.GeneratedTime)
	}

	var inv struct {
		AccessKeyMetadata []struct{ UserName, AccessKeyId, Status, CreateDate string }
	}
	readJSON(t, filepath.Join(opts.Dir, "123456789012.access-keys.json"), &inv)
	var got []string
	for _, k := range inv.AccessKeyMetadata {
		got = append(got, k.UserName+" "+k.AccessKeyId+" "+k.Status+" "+k.CreateDate)
	}
	want := []string{
		"a,b AKIAAB00000000000001 Active 2025-01-01T00:00:03+00:00",
		"alice AKIAALICE00000000001 Active 2025-01-01T00:00:04+00:00",
		"alice AKIAALICE00000000002 Active 2025-06-01T00:00:00+00:00",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("inventory:\n%q\nwant\n%q", got, want)
	}

	// Requests: carol (no key) is never listed; alice's two keys take two pages.
	count := map[string]int{}
	for _, r := range s.Requests() {
		count[r.Action]++
		if r.Action == "ListAccessKeys" && r.Params.Get("UserName") == "carol" {
			t.Error("listed the keys of a user without keys")
		}
	}
	if count["ListAccessKeys"] != 3+3 || count["GenerateCredentialReport"] != 7 || count["GetCredentialReport"] != 5 || count["GetCallerIdentity"] != 1 {
		t.Errorf("requests per action: %v", count)
	}
	for _, msg := range []string{"prod: generating the credential report", "prod: report STARTED", "prod: report in progress; waiting", "prod: no current report; generating again",
		"prod: IAM limits report generation just now; waiting", "prod: account 123456789012: saved",
		"prod: account 123456789012: fetched with the credentials of arn:aws:iam::123456789012:user/operator"} {
		if !strings.Contains(strings.Join(*progress, "\n"), msg) {
			t.Errorf("progress lacks %q:\n%s", msg, strings.Join(*progress, "\n"))
		}
	}

	// The folder is what analyze reads: findings name their keys.
	res := analyze.Analyze(context.Background(), []string{opts.Dir}, nil, analyze.Options{SetupWindow: time.Hour})
	if len(res.Errors) > 0 {
		t.Fatalf("analyze: %v", res.Errors)
	}
	var ids []string
	for _, f := range res.Findings {
		ids = append(ids, f.User+" "+f.KeyID)
	}
	if want := []string{"a,b AKIAAB00000000000001", "alice AKIAALICE00000000001"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("findings %q, want %q", ids, want)
	}
}

func TestFetchFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*iamfake.Server, *Options)
		want  string
		is    error
	}{
		{"access denied", func(s *iamfake.Server, _ *Options) {
			s.Faults["GenerateCredentialReport"] = []iamfake.Fault{{Status: 403, Code: "AccessDenied", Message: "User: arn:aws:iam::123456789012:user/x is not authorized to perform: iam:GenerateCredentialReport"}}
		}, "access denied to iam:GenerateCredentialReport: the credentials need iam:GenerateCredentialReport, iam:GetCredentialReport and iam:ListAccessKeys", ErrAccessDenied},
		{"access denied to list keys", func(s *iamfake.Server, _ *Options) {
			s.Faults["ListAccessKeys"] = []iamfake.Fault{{Status: 403, Code: "AccessDenied", Message: "not authorized"}}
		}, "access denied to iam:ListAccessKeys", ErrAccessDenied},
		{"report never ready", func(s *iamfake.Server, o *Options) {
			s.GenerateStates = make([]string, 100000)
			for i := range s.GenerateStates {
				s.GenerateStates[i] = "INPROGRESS"
			}
			o.Timeout = 300 * time.Millisecond
			o.Poll, o.MaxPoll = 20*time.Millisecond, 20*time.Millisecond
		}, "gave up after --timeout 300ms", context.DeadlineExceeded},
		{"service keeps failing", func(s *iamfake.Server, _ *Options) {
			for range 10 {
				s.Faults["GetCredentialReport"] = append(s.Faults["GetCredentialReport"], iamfake.Fault{Status: 500, Code: "ServiceFailure", Message: "Internal failure."})
			}
		}, "iam:GetCredentialReport: ServiceFailure: Internal failure.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := server(t)
			opts, _ := testOptions(t)
			tt.setup(s, &opts)
			sv := Account(context.Background(), target("prod", s), opts, nil)
			if sv.Err == nil || !strings.Contains(sv.Err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", sv.Err, tt.want)
			}
			if tt.is != nil && !errors.Is(sv.Err, tt.is) {
				t.Errorf("error %v is not %v", sv.Err, tt.is)
			}
			if entries, _ := os.ReadDir(opts.Dir); len(entries) != 0 {
				t.Errorf("a failed export left files: %v", entries)
			}
		})
	}
}

// TestFetchSeveral pins that one account failing does not stop the others,
// and that an account is saved once.
func TestFetchSeveral(t *testing.T) {
	ok := server(t)
	denied := server(t)
	denied.Faults["GenerateCredentialReport"] = []iamfake.Fault{{Status: 403, Code: "AccessDenied", Message: "no"}}
	opts, _ := testOptions(t)
	saved := All(context.Background(), []Target{target("denied", denied), target("ok", ok), target("same account again", ok)}, opts)
	if !errors.Is(saved[0].Err, ErrAccessDenied) || saved[1].Err != nil || saved[2].Err == nil {
		t.Fatalf("saved = %+v", saved)
	}
	if !strings.Contains(saved[2].Err.Error(), "account 123456789012 was already saved from ok in this run") {
		t.Errorf("second export of an account: %v", saved[2].Err)
	}
	var names []string
	entries, _ := os.ReadDir(opts.Dir)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if want := []string{"123456789012.access-keys.json", "123456789012.credential-report.json"}; !reflect.DeepEqual(names, want) {
		t.Errorf("files %q, want %q", names, want)
	}
}

// TestFetchUserDeleted pins that a user deleted between the report and the
// listing is a warning, not a failure.
func TestFetchUserDeleted(t *testing.T) {
	s := iamfake.New(nil, keys()[1:]) // a,b is gone
	t.Cleanup(s.Close)
	s.Report, s.Generated = []byte(report), generated
	opts, _ := testOptions(t)
	sv := Account(context.Background(), target("prod", s), opts, nil)
	if sv.Err != nil {
		t.Fatal(sv.Err)
	}
	if len(sv.Warnings) != 1 || sv.Warnings[0] != "user a,b was deleted after the report was made; it has no keys to list" {
		t.Errorf("warnings = %q", sv.Warnings)
	}
	if sv.Keys != 2 {
		t.Errorf("keys = %d, want 2", sv.Keys)
	}
}

// TestFetchStopsListingAtFirstFailure pins that one failing ListAccessKeys
// stops the account's other calls: the inventory cannot be saved anyway.
func TestFetchStopsListingAtFirstFailure(t *testing.T) {
	var b strings.Builder
	b.WriteString(report[:strings.Index(report, "\na,b,")])
	var ks []iamfake.Key
	for i := range 60 {
		u := fmt.Sprintf("user%02d", i)
		fmt.Fprintf(&b, "\n%s,arn:aws:iam::123456789012:user/%s,2025-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2025-02-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A", u, u)
		ks = append(ks, iamfake.Key{User: u, ID: fmt.Sprintf("AKIAUSER%012d", i), Status: "Active", Created: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)})
	}
	s := iamfake.New(nil, ks)
	t.Cleanup(s.Close)
	s.Report, s.Generated = []byte(b.String()), generated
	s.Fail = func(r iamfake.Request) *iamfake.Fault {
		if r.Action == "ListAccessKeys" {
			return &iamfake.Fault{Status: 403, Code: "AccessDenied", Message: "no"}
		}
		return nil
	}
	opts, _ := testOptions(t)
	sv := Account(context.Background(), target("prod", s), opts, nil)
	if !errors.Is(sv.Err, ErrAccessDenied) {
		t.Fatalf("error %v", sv.Err)
	}
	n := 0
	for _, r := range s.Requests() {
		if r.Action == "ListAccessKeys" {
			n++
		}
	}
	if n > 2*opts.Parallel {
		t.Errorf("%d ListAccessKeys calls after the first failed; want at most %d in flight", n, 2*opts.Parallel)
	}
}

// TestFetchCallerIdentity pins what fetch records of the credentials that
// exported an account, and that STS failing, or naming another account,
// is a warning, never a failed account.
func TestFetchCallerIdentity(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*iamfake.Server)
		caller  string // CallerARN CallerUserID CallerAccount
		warning string // "" for none
	}{
		{"the report's account", func(*iamfake.Server) {},
			"arn:aws:iam::123456789012:user/operator AIDAOPERATORFAKE0001 123456789012", ""},
		{"another account", func(s *iamfake.Server) { s.Account = "999999999999" },
			"arn:aws:iam::999999999999:user/operator AIDAOPERATORFAKE0001 999999999999",
			"the credentials are account 999999999999's (arn:aws:iam::999999999999:user/operator), but the report IAM returned is account 123456789012's: are IAM and STS different endpoints (AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS)?"},
		{"STS refuses", func(s *iamfake.Server) {
			s.Faults["GetCallerIdentity"] = []iamfake.Fault{{Status: 403, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}}
		}, "  ", "the evidence manifest records the credentials that fetched account 123456789012 as unknown: sts:GetCallerIdentity: InvalidClientTokenId: The security token included in the request is invalid."},
		{"STS keeps failing", func(s *iamfake.Server) {
			for range 10 {
				s.Faults["GetCallerIdentity"] = append(s.Faults["GetCallerIdentity"], iamfake.Fault{Status: 500, Code: "InternalFailure", Message: "Internal failure."})
			}
		}, "  ", "the evidence manifest records the credentials that fetched account 123456789012 as unknown: sts:GetCallerIdentity: InternalFailure: Internal failure."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := server(t)
			tt.setup(s)
			opts, _ := testOptions(t)
			sv := Account(context.Background(), target("prod", s), opts, nil)
			if sv.Err != nil {
				t.Fatalf("the account failed: %v", sv.Err)
			}
			if got := sv.CallerARN + " " + sv.CallerUserID + " " + sv.CallerAccount; got != tt.caller {
				t.Errorf("caller identity %q, want %q", got, tt.caller)
			}
			var want []string
			if tt.warning != "" {
				want = []string{tt.warning}
			}
			if !reflect.DeepEqual(sv.Warnings, want) {
				t.Errorf("warnings %q, want %q", sv.Warnings, want)
			}
			if sv.Keys != 3 {
				t.Errorf("keys = %d, want 3: the account was not exported whole", sv.Keys)
			}
		})
	}
}
