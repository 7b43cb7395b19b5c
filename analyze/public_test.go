package analyze

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// publicReports is ../shared/reports beside the repository: credential
// reports copied from other projects' test suites, some recorded from real
// accounts, some malformed.
const publicReports = "../../shared/reports"

// TestPublicReports pins what credreview makes of reports it was not written
// for: each parses to the counts and findings read off the file by hand, or
// is rejected with a message that says why.
func TestPublicReports(t *testing.T) {
	if _, err := os.Stat(publicReports); err != nil {
		if os.Getenv("CREDREVIEW_REQUIRE_TOOLS") != "" {
			t.Fatalf("%s is missing", publicReports)
		}
		t.Skipf("%s is missing", publicReports)
	}
	tests := []struct {
		file     string
		report   string   // "account users console keys", or "" when rejected
		findings []string // "user slot severity seconds"
		problems []string // errors and warnings, each a substring of one
	}{
		{"cloudbeat-malformed-16-columns.csv", "", nil, []string{
			":1: not a complete credential report: missing 4 columns: access_key_1_last_used_region, access_key_1_last_used_service, " +
				`access_key_2_last_used_region, access_key_2_last_used_service hint: header column cert_2_active\n ends with a literal \n`}},
		{"custodian-future-dates.csv", "644160558196 1 0 2", nil, []string{
			":3: access_key_2_last_rotated 2099-02-03T09:50:21+00:00: after this machine's clock"}},
		{"custodian-real-619193117841.csv", "619193117841 7 1 7", []string{"kaleb 1 high 0"}, nil},
		{"custodian-real-644160558196.csv", "644160558196 19 17 15", []string{"joshua 1 medium 2280", "scot 1 medium 2875"}, []string{
			":10: user christopher appears again (first at line 9)"}},
		{"custodian-uppercase-booleans.csv", "123456789012 1 0 2", nil, []string{
			":2: user_creation_time 2099-08-10T11:07:38+00:00, access_key_2_last_rotated 2099-08-10T11:13:31+00:00: after this machine's clock"}},
		{"moto-style.csv", "123456789012 3 1 3", []string{"my-user 1 low 1", "my-user 2 medium 2"}, []string{
			`:2: access_key_1_last_used_region "not_supported", access_key_1_last_used_service "not_supported", access_key_2_last_used_region "not_supported", access_key_2_last_used_service "not_supported": not what AWS writes there`,
			":3: access_key_1_last_used_region", ":4: access_key_1_last_used_region"}},
		{"prowler-root-z-suffix.csv", "123456789012 0 0 0", nil, []string{`:2: the root user's arn "arn:aws:iam::123456789012:<root_account>" does not end with :root`,
			":2: access_key_1_active is true but access_key_1_last_rotated is N/A"}},
		{"prowler-setup-key-fail.csv", "123456789012 1 1 0", nil, []string{
			":2: arn \"arn:aws:iam::123456789012:test_false_access_key_1\" is not a user ARN",
			":2: access_key_1_active is true but access_key_1_last_rotated is N/A"}},
		{"security-hq-invalid-short-header.csv", "", nil, []string{":1: not a complete credential report: missing 12 columns: access_key_1_active, access_key_1_last_rotated, " +
			"access_key_1_last_used_date, access_key_1_last_used_region, access_key_1_last_used_service, access_key_2_active, access_key_2_last_rotated, " +
			"access_key_2_last_used_date, access_key_2_last_used_region, access_key_2_last_used_service, mfa_active, password_last_changed hint: the header has 5 columns"}},
		{"security-hq-report.csv", "0123456789 4 1 4", nil, []string{":2: account id 0123456789 has 10 digits"}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			res := Analyze(context.Background(), []string{filepath.Join(publicReports, tt.file)}, nil, hour)
			got := ""
			if len(res.Reports) == 1 {
				r := res.Reports[0]
				got = fmt.Sprintf("%s %d %d %d", r.AccountID, r.Users, r.ConsoleUsers, r.Keys)
			}
			if got != tt.report {
				t.Errorf("report = %q, want %q", got, tt.report)
			}
			var fs []string
			for _, f := range res.Findings {
				fs = append(fs, fmt.Sprintf("%s %d %s %d", f.User, f.KeySlot, f.Severity, f.SecondsAfterUserCreated()))
			}
			if strings.Join(fs, "; ") != strings.Join(tt.findings, "; ") {
				t.Errorf("findings = %q, want %q", fs, tt.findings)
			}
			var problems []string
			for _, p := range append(res.Errors, res.Warnings...) {
				problems = append(problems, p.Error()+" hint: "+p.Hint)
			}
			containsAll(t, "problems", problems, tt.problems)
			if len(problems) != len(tt.problems) {
				t.Errorf("%d problems, want %d:\n%s", len(problems), len(tt.problems), strings.Join(problems, "\n"))
			}
		})
	}
	entries, _ := os.ReadDir(publicReports)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".csv") && !seen[e.Name()] {
			t.Errorf("%s has no expectation here", e.Name())
		}
	}
}
