package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/credreview/credreview/fetch"
)

// fetchCmd exports the accounts the flags name and says what was saved.
func fetchCmd(ctx context.Context, fl fetchFlags, _ io.Reader, _ io.Writer, ui *ui) error {
	if err := os.MkdirAll(fl.out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", fl.out, err)
	}
	opts := fetch.DefaultOptions(fl.out)
	opts.Timeout = fl.timeout
	opts.Progress = func(target, msg string) { ui.infof("fetch: %s: %s", target, msg) }
	targets, failed := fetch.Targets(ctx, fetch.Sources{Profiles: fl.profiles, Roles: fl.roles, Region: fl.region})
	saved := fetch.All(ctx, targets, opts)
	saved = append(failed, saved...)
	var ok, bad []string
	for _, s := range saved {
		for _, w := range s.Warnings {
			ui.warnf("fetch: %s: %s", s.Target, w)
		}
		if s.Err != nil {
			ui.errorf("fetch: %s: %v", s.Target, s.Err)
			if errors.Is(s.Err, fetch.ErrAccessDenied) {
				ui.hintf("grant %s to these credentials, or use others with --profile or --role-arn", fetch.Permissions)
			}
			bad = append(bad, s.Target)
			continue
		}
		ok = append(ok, s.Account)
	}
	summary := fmt.Sprintf("fetch: saved %s in %s", plural(len(ok), "account", "accounts"), fl.out)
	if len(ok) > 0 {
		summary += " (" + strings.Join(ok, ", ") + ")"
	}
	if len(bad) > 0 {
		summary += fmt.Sprintf("; %d failed (%s)", len(bad), strings.Join(bad, ", "))
	}
	ui.infof("%s", summary)
	if len(bad) > 0 {
		return errReported
	}
	return nil
}
