// Package fetch exports, on a connected machine, what credreview analyze
// reads on an air-gapped one: each account's credential report, saved as
// aws iam get-credential-report prints it, and the access keys of its users,
// saved as aws iam list-access-keys prints them, and whose credentials
// exported each (STS GetCallerIdentity), for the evidence manifest. It
// talks to IAM and STS through aws-sdk-go-v2 and never prints; callers get
// progress through a callback.
//
// It lives apart from analyze so that the offline analysis carries no
// network code and the network code no analysis.
package fetch

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/internal/atomicfile"
)

// Target is one account to export: credentials and endpoint in an
// aws.Config, and a name for messages (a profile, a role ARN).
type Target struct {
	Name   string
	Config aws.Config
}

// Options tune an export. The zero value is not useful; start from
// DefaultOptions.
type Options struct {
	Dir     string        // where the files go
	Timeout time.Duration // for each account, from the first request to the saved files

	// Poll is the first wait while IAM generates a report or asks to be
	// called again later; each wait doubles, up to MaxPoll.
	Poll, MaxPoll time.Duration

	// Parallel is how many ListAccessKeys calls an account has in flight.
	Parallel int

	// Retryer makes the SDK's retryer for throttled and failed calls.
	Retryer func() aws.Retryer

	// Progress, when set, is told what is happening, one line at a time.
	Progress func(target, message string)
}

// DefaultOptions are what credreview fetch uses.
func DefaultOptions(dir string) Options {
	return Options{
		Dir:      dir,
		Timeout:  10 * time.Minute,
		Poll:     2 * time.Second,
		MaxPoll:  30 * time.Second,
		Parallel: 4,
		Retryer:  standardRetryer,
	}
}

// standardRetryer retries throttling and server errors ten times with
// capped exponential backoff. The client-side retry quota is off: under
// sustained throttling it makes calls fail at once, which is what makes
// other tools' exports come back silently short. The account's timeout
// bounds the whole.
func standardRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 10
		o.MaxBackoff = 20 * time.Second
		o.RateLimiter = ratelimit.None
	})
}

// Saved is what an export of one account gave.
type Saved struct {
	Target    string
	Account   string
	Report    string // path of the saved report
	Inventory string // path of the saved key inventory
	Generated time.Time
	Users     int // users with keys
	Keys      int
	// CallerARN, CallerUserID and CallerAccount are what STS
	// GetCallerIdentity said of the credentials that exported the account:
	// the chain of custody names who fetched the evidence. All three are
	// empty when it could not be asked (a warning says why).
	CallerARN, CallerUserID, CallerAccount string
	Warnings                               []string
	Err                                    error // when the account failed; then nothing was saved
}

// ErrAccessDenied is wrapped by the error of an account whose credentials
// lack a permission the export needs.
var ErrAccessDenied = errors.New("access denied")

// Permissions are what the export needs.
const Permissions = "iam:GenerateCredentialReport, iam:GetCredentialReport and iam:ListAccessKeys"

// All exports every target, one after the other, and returns what each
// gave, in order. One account failing does not stop the others.
func All(ctx context.Context, targets []Target, opts Options) []Saved {
	out := make([]Saved, len(targets))
	seen := map[string]string{} // account -> target that saved it
	for i, t := range targets {
		out[i] = Account(ctx, t, opts, seen)
		if out[i].Err == nil {
			seen[out[i].Account] = t.Name
		}
	}
	return out
}

// Account exports one target. done names the accounts already saved in this
// run, by the target that saved them; a second target of the same account
// fails rather than overwrite the first.
func Account(ctx context.Context, t Target, opts Options, done map[string]string) Saved {
	s := Saved{Target: t.Name}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	client := iam.NewFromConfig(t.Config, func(o *iam.Options) {
		if opts.Retryer != nil {
			o.Retryer = opts.Retryer()
		}
	})
	stsClient := sts.NewFromConfig(t.Config, func(o *sts.Options) {
		if opts.Retryer != nil {
			o.Retryer = opts.Retryer()
		}
	})
	say := func(format string, args ...any) {
		if opts.Progress != nil {
			opts.Progress(t.Name, fmt.Sprintf(format, args...))
		}
	}
	fail := func(err error) Saved {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w: gave up after --timeout %s", err, opts.Timeout)
		}
		s.Err = err
		return s
	}

	say("generating the credential report")
	report, err := getReport(ctx, client, opts, say)
	if err != nil {
		return fail(err)
	}
	name := "credential report of " + t.Name
	account, _, users, rowProblems, err := analyze.KeyHolders(name, report.Content)
	if err != nil {
		return fail(fmt.Errorf("the report IAM returned cannot be read: %w", err))
	}
	for _, p := range rowProblems {
		s.Warnings = append(s.Warnings, p.Error())
	}
	if other, ok := done[account]; ok {
		return fail(fmt.Errorf("account %s was already saved from %s in this run; not saved again", account, other))
	}
	s.Account = account
	s.Generated = aws.ToTime(report.GeneratedTime).UTC()
	if err := callerIdentity(ctx, stsClient, &s); err != nil {
		if ctx.Err() != nil {
			return fail(err)
		}
		s.Warnings = append(s.Warnings, fmt.Sprintf("the evidence manifest records the credentials that fetched account %s as unknown: %v", account, err))
	} else {
		say("account %s: fetched with the credentials of %s", account, s.CallerARN)
		if s.CallerAccount != account {
			s.Warnings = append(s.Warnings, fmt.Sprintf("the credentials are account %s's (%s), but the report IAM returned is account %s's: are IAM and STS different endpoints (AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS)?", s.CallerAccount, s.CallerARN, account))
		}
	}
	say("account %s: report generated %s; listing the keys of %d users", account, s.Generated.Format(time.RFC3339), len(users))

	keys, gone, err := listKeys(ctx, client, users, opts)
	if err != nil {
		return fail(err)
	}
	for _, u := range gone {
		s.Warnings = append(s.Warnings, fmt.Sprintf("user %s was deleted after the report was made; it has no keys to list", u))
	}
	s.Users, s.Keys = len(users), len(keys)

	s.Report = filepath.Join(opts.Dir, account+".credential-report.json")
	s.Inventory = filepath.Join(opts.Dir, account+".access-keys.json")
	if err := atomicfile.WriteDurable(ctx, s.Report, func(w io.Writer) error { return writeReport(w, report) }); err != nil {
		return fail(fmt.Errorf("write %s: %w", s.Report, err))
	}
	if err := atomicfile.WriteDurable(ctx, s.Inventory, func(w io.Writer) error { return writeInventory(w, keys) }); err != nil {
		return fail(fmt.Errorf("write %s: %w", s.Inventory, err))
	}
	say("account %s: saved %s and %s (%d keys)", account, s.Report, s.Inventory, len(keys))
	return s
}

// callerTimeout bounds the question of whose the credentials are: its
// answer only goes into the evidence manifest, and an STS endpoint that
// cannot be reached must not spend the account's --timeout.
const callerTimeout = time.Minute

// callerIdentity asks STS GetCallerIdentity whose the credentials are, and
// records the answer in s.
func callerIdentity(ctx context.Context, client *sts.Client, s *Saved) error {
	ctx, cancel := context.WithTimeout(ctx, callerTimeout)
	defer cancel()
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		var api smithy.APIError
		if errors.As(err, &api) {
			return fmt.Errorf("sts:GetCallerIdentity: %s: %s", api.ErrorCode(), api.ErrorMessage())
		}
		return fmt.Errorf("sts:GetCallerIdentity: %w", err)
	}
	s.CallerARN, s.CallerUserID, s.CallerAccount = aws.ToString(out.Arn), aws.ToString(out.UserId), aws.ToString(out.Account)
	return nil
}

// getReport asks IAM to generate a report until it is complete, then gets
// it. IAM can say "not yet" in several ways (a state other than COMPLETE,
// LimitExceeded, ReportInProgress); each is waited out with a growing pause
// within the context's deadline. A report that is gone or expired by the
// time it is fetched is generated again.
func getReport(ctx context.Context, client *iam.Client, opts Options, say func(string, ...any)) (*iam.GetCredentialReportOutput, error) {
	wait := newPoller(opts)
generate:
	for {
		gen, err := client.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		var limit *types.LimitExceededException
		switch {
		case errors.As(err, &limit):
			say("IAM limits report generation just now; waiting")
		case err != nil:
			return nil, describe("GenerateCredentialReport", err)
		case gen.State != types.ReportStateTypeComplete:
			say("report %s", gen.State)
		}
		if err != nil || gen.State != types.ReportStateTypeComplete {
			if err := wait(ctx); err != nil {
				return nil, err
			}
			continue
		}
		for {
			out, err := client.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
			var notReady *types.CredentialReportNotReadyException
			var notPresent *types.CredentialReportNotPresentException
			var expired *types.CredentialReportExpiredException
			switch {
			case errors.As(err, &notReady):
				say("report in progress; waiting")
				if err := wait(ctx); err != nil {
					return nil, err
				}
			case errors.As(err, &notPresent), errors.As(err, &expired):
				say("no current report; generating again")
				continue generate
			case err != nil:
				return nil, describe("GetCredentialReport", err)
			default:
				return out, checkFormat(out)
			}
		}
	}
}

func checkFormat(out *iam.GetCredentialReportOutput) error {
	if out.ReportFormat != "" && out.ReportFormat != types.ReportFormatTypeTextCsv {
		return fmt.Errorf("IAM returned a report in %q; credreview reads text/csv", out.ReportFormat)
	}
	return nil
}

// newPoller returns a wait that pauses opts.Poll, then twice as long each
// time, up to opts.MaxPoll, or until ctx is done.
func newPoller(opts Options) func(context.Context) error {
	d := opts.Poll
	return func(ctx context.Context) error {
		t := time.NewTimer(d)
		defer t.Stop()
		d = min(2*d, opts.MaxPoll)
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("waiting for the credential report: %w", ctx.Err())
		}
	}
}

// describe turns an SDK error into one that says what to do.
func describe(op string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
			return fmt.Errorf("%w to iam:%s: the credentials need %s: %s", ErrAccessDenied, op, Permissions, api.ErrorMessage())
		}
		return fmt.Errorf("iam:%s: %s: %s", op, api.ErrorCode(), api.ErrorMessage())
	}
	return fmt.Errorf("iam:%s: %w", op, err)
}

// inventoryKey is one entry of AccessKeyMetadata, as the CLI prints it.
type inventoryKey struct {
	UserName    string `json:"UserName"`
	AccessKeyID string `json:"AccessKeyId"`
	Status      string `json:"Status"`
	CreateDate  string `json:"CreateDate"`
}

// listKeys lists every page of every user's keys, a few users at a time.
// Keys come back in the users' order. A user deleted since the report was
// made is named in gone, not an error.
func listKeys(ctx context.Context, client *iam.Client, users []string, opts Options) (keys []inventoryKey, gone []string, err error) {
	// The first failure stops the rest: without every user's keys the
	// inventory is not saved, so further calls would only add load.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	per := make([][]inventoryKey, len(users))
	missing := make([]bool, len(users))
	errs := make([]error, len(users))
	sem := make(chan struct{}, max(1, opts.Parallel))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			p := iam.NewListAccessKeysPaginator(client, &iam.ListAccessKeysInput{UserName: aws.String(u)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				var nse *types.NoSuchEntityException
				if errors.As(err, &nse) {
					missing[i] = true
					return
				}
				if err != nil {
					errs[i] = describe("ListAccessKeys", err)
					cancel()
					return
				}
				for _, k := range page.AccessKeyMetadata {
					per[i] = append(per[i], inventoryKey{
						UserName:    aws.ToString(k.UserName),
						AccessKeyID: aws.ToString(k.AccessKeyId),
						Status:      string(k.Status),
						CreateDate:  cliTime(aws.ToTime(k.CreateDate)),
					})
				}
			}
		})
	}
	wg.Wait()
	// The first real error, not one of the cancellations it caused.
	for i := range users {
		if errs[i] != nil && !errors.Is(errs[i], context.Canceled) {
			return nil, nil, fmt.Errorf("listing the keys of %s: %w", users[i], errs[i])
		}
	}
	for i := range users {
		if errs[i] != nil {
			return nil, nil, fmt.Errorf("listing the keys of %s: %w", users[i], errs[i])
		}
		if missing[i] {
			gone = append(gone, users[i])
		}
		keys = append(keys, per[i]...)
	}
	return keys, gone, nil
}

// cliTime writes a time as AWS CLI v2 prints it.
func cliTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05+00:00")
}

// writeReport writes what aws iam get-credential-report prints: the bytes
// IAM returned, unchanged, base64-encoded in Content.
func writeReport(w io.Writer, out *iam.GetCredentialReportOutput) error {
	doc := struct {
		Content       string `json:"Content"`
		ReportFormat  string `json:"ReportFormat"`
		GeneratedTime string `json:"GeneratedTime"`
	}{
		Content:       base64.StdEncoding.EncodeToString(out.Content),
		ReportFormat:  string(types.ReportFormatTypeTextCsv),
		GeneratedTime: cliTime(aws.ToTime(out.GeneratedTime)),
	}
	return writeJSON(w, doc)
}

// writeInventory writes what aws iam list-access-keys prints, for all users.
func writeInventory(w io.Writer, keys []inventoryKey) error {
	doc := struct {
		AccessKeyMetadata []inventoryKey `json:"AccessKeyMetadata"`
	}{keys}
	if doc.AccessKeyMetadata == nil {
		doc.AccessKeyMetadata = []inventoryKey{}
	}
	return writeJSON(w, doc)
}

// writeJSON indents as the AWS CLI does.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
