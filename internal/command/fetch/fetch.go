// Package fetch is credreview fetch: on a connected machine, it exports
// each account's credential report and key inventory, the evidence that
// analyze reads offline. The export itself is package fetch of the module.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/credreview/credreview/fetch"
	"github.com/credreview/credreview/internal/cli"
)

// Command is credreview fetch.
func Command() *cli.Command {
	return &cli.Command{
		Name:    "fetch",
		Summary: "export credential reports and key ids from AWS",
		Usage:   usage,
		Flags:   func() *pflag.FlagSet { return new(flags).flagSet() },
		Run:     cli.WithFlags(parse, usage, run),
	}
}

const usage = `Usage:
    credreview fetch [options] -o DIR

Exports each account's credential report and the access keys of its users,
as the evidence that credreview analyze reads offline: in DIR,
ACCOUNT.credential-report.json as aws iam get-credential-report prints it
(the report IAM returned, unchanged) and ACCOUNT.access-keys.json as
aws iam list-access-keys prints it (all users merged). Files are written
whole or not at all. The credentials need iam:GenerateCredentialReport,
iam:GetCredentialReport and iam:ListAccessKeys.

Credentials and endpoints come from the AWS SDK's standard configuration:
environment variables, the shared config and credentials files (named and
SSO profiles), AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL.

Options:
    -o, --out DIR          Save the files in DIR, created if missing.
        --profile NAME     Export the account of profile NAME; repeat for
                           several accounts (default: the default
                           credentials).
        --role-arn ARN     Assume role ARN from the base credentials (the
                           one --profile, or the default) and export its
                           account; repeat for several accounts.
        --region REGION    Region for the SDK and STS (default: from the
                           configuration, else us-east-1).
        --timeout D        Give up on an account after D (default 10m).
    -q, --quiet            Print errors only.
    -h, --help             Print this help.

IAM may take a while to generate a report, and may throttle: fetch waits
with growing pauses and retries, within --timeout. One account failing does
not stop the others; a summary says what was saved and what failed.

Exit codes:
    0  every account was saved
    1  some account failed; the others were saved
    2  usage error

Examples:
    credreview fetch --profile prod --profile staging -o evidence/
    credreview fetch --role-arn arn:aws:iam::123456789012:role/Audit -o evidence/
`

// flags are fetch's options.
type flags struct {
	out, region     string
	profiles, roles []string
	timeout         time.Duration
	cli.CommonFlags
}

func (fl *flags) flagSet() *pflag.FlagSet {
	fs := cli.NewFlagSet("fetch")
	fs.StringVarP(&fl.out, "out", "o", "", "")
	fs.StringArrayVar(&fl.profiles, "profile", nil, "")
	fs.StringArrayVar(&fl.roles, "role-arn", nil, "")
	fs.StringVar(&fl.region, "region", "", "")
	fs.DurationVar(&fl.timeout, "timeout", 10*time.Minute, "")
	fl.CommonFlags.Register(fs)
	cli.CompleteDir(fs, "out")
	return fs
}

func parse(args []string) (flags, error) {
	var fl flags
	fs := fl.flagSet()
	if err := fs.Parse(args); err != nil {
		return fl, cli.Usagef("%v", err)
	}
	switch {
	case fl.Help:
	case fs.NArg() > 0:
		return fl, cli.Usagef("fetch takes no arguments, but was given %q", fs.Args())
	case fl.out == "" || fl.out == "-":
		return fl, cli.Usagef("-o DIR is required: the folder to save the reports and key inventories in")
	case fl.timeout <= 0:
		return fl, cli.Usagef("--timeout %s must be positive", fl.timeout)
	case len(fl.roles) > 0 && len(fl.profiles) > 1:
		return fl, cli.Usagef("--role-arn assumes roles from one base profile; give at most one --profile with it")
	}
	return fl, nil
}

// run exports the accounts the flags name and says what was saved.
func run(ctx context.Context, fl flags, _ io.Reader, _ io.Writer, ui *cli.UI) error {
	if err := os.MkdirAll(fl.out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", fl.out, err)
	}
	opts := fetch.DefaultOptions(fl.out)
	opts.Timeout = fl.timeout
	opts.Progress = func(target, msg string) { ui.Infof("fetch: %s: %s", target, msg) }
	targets, failed := fetch.Targets(ctx, fetch.Sources{Profiles: fl.profiles, Roles: fl.roles, Region: fl.region})
	saved := fetch.All(ctx, targets, opts)
	saved = append(failed, saved...)
	var ok, bad []string
	for _, s := range saved {
		for _, w := range s.Warnings {
			ui.Warnf("fetch: %s: %s", s.Target, w)
		}
		if s.Err != nil {
			ui.Errorf("fetch: %s: %v", s.Target, s.Err)
			if errors.Is(s.Err, fetch.ErrAccessDenied) {
				ui.Hintf("grant %s to these credentials, or use others with --profile or --role-arn", fetch.Permissions)
			}
			bad = append(bad, s.Target)
			continue
		}
		ok = append(ok, s.Account)
	}
	summary := fmt.Sprintf("fetch: saved %s in %s", cli.Plural(len(ok), "account", "accounts"), fl.out)
	if len(ok) > 0 {
		summary += " (" + strings.Join(ok, ", ") + ")"
	}
	if len(bad) > 0 {
		summary += fmt.Sprintf("; %d failed (%s)", len(bad), strings.Join(bad, ", "))
	}
	ui.Infof("%s", summary)
	if len(bad) > 0 {
		return cli.ErrReported
	}
	return nil
}
