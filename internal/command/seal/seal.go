// Package seal is credreview seal: it seals a folder of evidence collected
// by hand (reports downloaded from the console, the outputs of
// aws iam get-credential-report and list-access-keys) in an evidence
// manifest, as credreview fetch seals what it saves, so that analyze can
// tell when a file was added, altered or lost afterwards.
//
// It also holds what fetch shares with it: the walk that lists what
// analyze reads (Files), the loading of --sign-key (LoadKey) and the
// writing of a manifest and its signature (Write).
package seal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/internal/cli"
	"github.com/credreview/credreview/internal/custody"
)

// Command is credreview seal.
func Command() *cli.Command {
	return &cli.Command{
		Name:    "seal",
		Summary: "seal a folder of evidence in a manifest, optionally signed",
		Usage:   usage,
		Flags:   func() *pflag.FlagSet { return new(flags).flagSet() },
		Run:     cli.WithFlags(parse, usage, run),
	}
}

const usage = `Usage:
    credreview seal [options] DIR

Seals a folder of evidence collected by hand (credential reports downloaded
from the console, the output of aws iam get-credential-report and of
aws iam list-access-keys): writes DIR/credential-evidence.json, the
evidence manifest, which lists every file that credreview analyze DIR
reads with its size and SHA-256, and for reports and key inventories
their account and generated time. analyze then holds the folder to it: a
file added, altered or missing since is an error. credreview fetch seals
what it saves itself.

The files are sealed as they are, with a word on each that analyze would
object to (a damaged report, a file that is not evidence). A file that
cannot be read fails the seal, since the manifest must list every file
analyze reads.

Options:
        --sign-key FILE    Sign the manifest with the OpenSSH private key
                           FILE, as credential-evidence.json.sig, which
                           ssh-keygen -Y verify -n credreview checks.
                           ssh-agent signs when it holds the key; else an
                           encrypted key's passphrase is asked on the
                           terminal.
        --force            Replace the manifest DIR already has.
    -q, --quiet            Print errors only.
    -h, --help             Print this help.

Exit codes:
    0  the folder was sealed
    1  it was not: DIR has a manifest (without --force), a file or the key
       could not be read, or the manifest could not be written or signed
    2  usage error

Examples:
    credreview seal --sign-key ~/.ssh/id_ed25519 evidence/
    ssh-keygen -Y verify -f allowed_signers -I auditor@example.com \
        -n credreview -s evidence/credential-evidence.json.sig \
        < evidence/credential-evidence.json
`

// flags are seal's options.
type flags struct {
	signKey string
	force   bool
	dir     string
	cli.CommonFlags
}

func (fl *flags) flagSet() *pflag.FlagSet {
	fs := cli.NewFlagSet("seal")
	fs.StringVar(&fl.signKey, "sign-key", "", "")
	fs.BoolVar(&fl.force, "force", false, "")
	fl.CommonFlags.Register(fs)
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
	case fs.NArg() == 0:
		return fl, cli.Usagef("no DIR given: name the folder of evidence to seal")
	case fs.NArg() > 1:
		return fl, cli.Usagef("seal takes one DIR, but was given %q", fs.Args())
	case fs.Arg(0) == "-":
		return fl, cli.Usagef("seal seals a folder, not standard input: name the folder of evidence")
	}
	fl.dir = fs.Arg(0)
	return fl, nil
}

// run seals fl.dir.
func run(ctx context.Context, fl flags, _ io.Reader, _ io.Writer, ui *cli.UI) error {
	dir := fl.dir
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("%s: %s", dir, describe(err))
	}
	if !fi.IsDir() {
		ui.Errorf("%s is not a folder: seal seals a folder of evidence", dir)
		ui.Hintf("put the evidence in a folder of its own, and seal the folder")
		return cli.ErrReported
	}
	manifest := filepath.Join(dir, custody.EvidenceName)
	if err := refuseExisting(manifest, fl.force, ui); err != nil {
		return err
	}
	var signer *custody.Signer
	if fl.signKey != "" {
		if signer, err = LoadKey(ctx, fl.signKey, ui); err != nil {
			return err
		}
	}

	w := Files(dir)
	for _, s := range w.Skipped {
		ui.Warnf("%s: not sealed, as analyze passes over it", strings.TrimSuffix(s, ", skipped"))
	}
	if len(w.Errors) > 0 {
		for _, e := range w.Errors {
			ui.Errorf("%s", e)
		}
		ui.Errorf("%s was not sealed: the manifest must list every file analyze reads, and %s could not be read", dir, cli.Plural(len(w.Errors), "file or folder", "files or folders"))
		ui.Hintf("make them readable, or take them out of the folder, and seal it again")
		return cli.ErrReported
	}
	if len(w.Files) == 0 {
		ui.Errorf("%s holds no file that analyze reads: nothing to seal", dir)
		return cli.ErrReported
	}

	// What each file is, as analyze sees it. The files are given one by
	// one, as the walk found them, rather than the folder: analyze would
	// otherwise hold them to the manifest that --force replaces.
	res := analyze.Analyze(ctx, w.Files, nil, analyze.Options{})
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: %w; %s was not sealed", err, dir)
	}
	for _, p := range res.Errors {
		ui.Warnf("%v (sealed as it is)", p)
	}
	for _, p := range res.Warnings {
		ui.Warnf("%v (sealed as it is)", p)
	}
	kinds := map[string]custody.File{}
	for _, list := range [][]analyze.Report{res.Reports, res.Superseded} {
		for _, r := range list {
			f := custody.File{Kind: KindReport, AccountID: r.AccountID}
			if !r.Generated.IsZero() {
				f.GeneratedTime = r.Generated.UTC().Format(time.RFC3339)
			}
			kinds[r.Source] = f
		}
	}
	for _, inv := range res.Inventories {
		kinds[inv.Source] = custody.File{Kind: KindInventory, AccountID: inv.AccountID}
	}

	m := &custody.Manifest{
		ManifestVersion: custody.Version,
		Kind:            custody.KindEvidence,
		Tool:            custody.Tool{Name: "credreview", Version: cli.Version},
		SealedBy:        "seal",
		Created:         time.Now().UTC().Format(time.RFC3339),
	}
	count := map[string]int{}
	var failed int
	for _, path := range w.Files {
		name, ok := custody.Rel(dir, path)
		if !ok {
			ui.Errorf("%s is not inside %s", path, dir) // cannot happen: the walk joined it
			failed++
			continue
		}
		size, sum, err := custody.HashFile(path)
		if err != nil {
			ui.Errorf("%s: %s", path, describe(err))
			failed++
			continue
		}
		f, ok := kinds[path]
		if !ok {
			f.Kind = KindOther
		}
		f.Name, f.Size, f.SHA256 = name, size, sum
		m.Files = append(m.Files, f)
		count[f.Kind]++
	}
	if failed > 0 {
		ui.Errorf("%s was not sealed: the manifest must list every file analyze reads, and %s could not be read", dir, cli.Plural(failed, "file", "files"))
		return cli.ErrReported
	}

	sealed, err := Write(ctx, dir, m, signer)
	if sealed.Replaced && (err == nil || errors.Is(err, ErrNotSigned)) {
		ui.Infof("replaced the evidence manifest %s, as --force asks", sealed.Manifest)
	}
	if sealed.RemovedSignature != "" {
		ui.Infof("removed %s, the signature of the manifest it replaced", sealed.RemovedSignature)
	}
	if errors.Is(err, ErrNotSigned) {
		ui.Errorf("%v", err)
		ui.Hintf("%s", SignHint(sealed.Manifest, fl.signKey))
		return cli.ErrReported
	}
	if err != nil {
		return err
	}
	ui.Infof("sealed %s of %s in %s: %s, %s, %d other",
		cli.Plural(len(m.Files), "file", "files"), dir, sealed.Manifest,
		cli.Plural(count[KindReport], "credential report", "credential reports"),
		cli.Plural(count[KindInventory], "key inventory", "key inventories"), count[KindOther])
	if sealed.Signature != "" {
		ui.Infof("signed it with %s (%s): %s", signer.Fingerprint(), fl.signKey, sealed.Signature)
	}
	return nil
}

// refuseExisting refuses to replace a manifest (or a signature without
// one) unless --force asks to: the folder is held to the manifest it has,
// and sealing it again vouches for whatever it holds now.
func refuseExisting(manifest string, force bool, ui *cli.UI) error {
	sig := custody.SignaturePath(manifest)
	var there string
	if _, err := os.Lstat(manifest); err == nil {
		there = manifest
		if m, _, err := custody.Read(manifest); err == nil {
			there += fmt.Sprintf(" (sealed by %s at %s)", m.SealedBy, m.Created)
		}
	} else if _, err := os.Lstat(sig); err == nil {
		there = sig
	}
	if there == "" || force {
		return nil
	}
	ui.Errorf("%s already has an evidence manifest: %s", filepath.Dir(manifest), there)
	ui.Hintf("analyze holds the folder to it as it was sealed; to seal the folder as it is now instead, add --force")
	return cli.ErrReported
}
