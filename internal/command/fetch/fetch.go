// Package fetch is credreview fetch: on a connected machine, it exports
// each account's credential report and key inventory, the evidence that
// analyze reads offline, and seals them in an evidence manifest (with
// package seal's Write). The export itself is package fetch of the module.
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
	"github.com/credreview/credreview/internal/command/seal"
	"github.com/credreview/credreview/internal/custody"
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

Then it seals them: DIR/credential-evidence.json, the evidence manifest,
lists the files this run saved with their SHA-256, and the credentials
that fetched each account (as sts get-caller-identity names them).
analyze holds the folder to it: a file added, altered or missing since is
an error. So fetch into an empty folder, or seal what else it holds with
credreview seal --force DIR.

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
        --sign-key FILE    Sign the manifest with the OpenSSH private key
                           FILE, as credential-evidence.json.sig (see
                           credreview seal --help). The key is loaded, and
                           its passphrase asked, before AWS is asked
                           anything.
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
    credreview fetch --sign-key ~/.ssh/id_ed25519 -o evidence/
`

// flags are fetch's options.
type flags struct {
	out, region     string
	signKey         string
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
	fs.StringVar(&fl.signKey, "sign-key", "", "")
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
	// A key that cannot sign is found out before AWS is asked anything.
	var signer *custody.Signer
	if fl.signKey != "" {
		var err error
		if signer, err = seal.LoadKey(ctx, fl.signKey, ui); err != nil {
			return err
		}
	}
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
	sealErr := writeManifest(ctx, fl, saved, signer, ui)
	summary := fmt.Sprintf("fetch: saved %s in %s", cli.Plural(len(ok), "account", "accounts"), fl.out)
	if len(ok) > 0 {
		summary += " (" + strings.Join(ok, ", ") + ")"
	}
	if len(bad) > 0 {
		summary += fmt.Sprintf("; %d failed (%s)", len(bad), strings.Join(bad, ", "))
	}
	ui.Infof("%s", summary)
	if len(bad) > 0 || sealErr != nil {
		return cli.ErrReported
	}
	return nil
}

// writeManifest seals what this run saved in DIR/credential-evidence.json
// (signed with signer, if any), and warns of the files of DIR that it does
// not list, which analyze will refuse. With no account saved, it writes
// nothing. A failure is printed, and returned.
func writeManifest(ctx context.Context, fl flags, saved []fetch.Saved, signer *custody.Signer, ui *cli.UI) error {
	m := &custody.Manifest{
		ManifestVersion: custody.Version,
		Kind:            custody.KindEvidence,
		Tool:            custody.Tool{Name: "credreview", Version: cli.Version},
		SealedBy:        "fetch",
		Created:         time.Now().UTC().Format(time.RFC3339),
	}
	listed := map[string]bool{}
	for _, s := range saved {
		if s.Err != nil {
			continue
		}
		m.Accounts = append(m.Accounts, custody.Account{
			AccountID:     s.Account,
			CallerARN:     orUnknown(s.CallerARN),
			CallerUserID:  orUnknown(s.CallerUserID),
			CallerAccount: orUnknown(s.CallerAccount),
			Target:        s.Target,
		})
		generated := ""
		if !s.Generated.IsZero() {
			generated = s.Generated.UTC().Format(time.RFC3339)
		}
		for _, f := range []struct {
			path, kind, generated string
		}{
			{s.Report, seal.KindReport, generated},
			{s.Inventory, seal.KindInventory, ""},
		} {
			name, ok := custody.Rel(fl.out, f.path)
			if !ok {
				err := fmt.Errorf("%s is not inside %s", f.path, fl.out) // cannot happen: fetch joined them
				ui.Errorf("fetch: the evidence was saved, but not sealed: %v", err)
				return err
			}
			size, sum, err := custody.HashFile(f.path)
			if err != nil {
				ui.Errorf("fetch: the evidence was saved, but not sealed: %v", err)
				return err
			}
			m.Files = append(m.Files, custody.File{Name: name, Size: size, SHA256: sum, Kind: f.kind, AccountID: s.Account, GeneratedTime: f.generated})
			listed[f.path] = true
		}
	}
	if len(m.Accounts) == 0 {
		return nil
	}
	sealed, err := seal.Write(ctx, fl.out, m, signer)
	if err != nil && !errors.Is(err, seal.ErrNotSigned) {
		ui.Errorf("fetch: the evidence was saved, but not sealed: %v", err)
		return err
	}
	what := fmt.Sprintf("fetch: sealed %s of %s in %s", cli.Plural(len(m.Files), "file", "files"), cli.Plural(len(m.Accounts), "account", "accounts"), sealed.Manifest)
	if sealed.Replaced {
		what += ", replacing an earlier run's manifest"
	}
	ui.Infof("%s", what)
	if sealed.RemovedSignature != "" {
		ui.Infof("fetch: removed %s, the signature of the manifest it replaced", sealed.RemovedSignature)
	}
	if err != nil {
		ui.Errorf("fetch: %v", err)
		ui.Hintf("%s", seal.SignHint(sealed.Manifest, fl.signKey))
	} else if sealed.Signature != "" {
		ui.Infof("fetch: signed it with %s (%s): %s", signer.Fingerprint(), fl.signKey, sealed.Signature)
	}

	// What else the folder holds, analyze reads too, and holds to the
	// manifest, which does not list it.
	w := seal.Files(fl.out)
	var others []string
	for _, path := range w.Files {
		if !listed[path] {
			others = append(others, path)
		}
	}
	if len(others) > 0 {
		names := others
		if len(names) > 5 {
			names = append(names[:5:5], fmt.Sprintf("and %d more", len(others)-5))
		}
		ui.Warnf("fetch: %s holds %s that this run did not save (%s): analyze will refuse them, since %s does not list them; fetch into an empty folder, or seal the folder as it is with credreview seal --force %s",
			fl.out, cli.Plural(len(others), "file", "files"), strings.Join(names, ", "), custody.EvidenceName, fl.out)
	}
	for _, e := range w.Errors {
		ui.Warnf("fetch: %s: analyze will report it as an error", e)
	}
	return err
}

// orUnknown is what the manifest says of a caller identity that STS did
// not give.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
