package analyze

import "fmt"

// CheckSetupKey is the id of the check credreview is named for: access keys
// created during a console user's initial setup.
const CheckSetupKey = "setup-key"

var setupKey = &Check{
	ID: CheckSetupKey, Order: 0, Prefix: "SK", Default: true, AfterUser: true, NotInCISv7: true,
	Title:    "Access keys created during a console user's initial setup",
	Controls: controls("1.21", "1.11", "1.10", "2.10"),
	Severity: "high: active and never used, the control's failing case; medium: active and used, so confirm with the owner first; low: inactive, delete it to finish the job",
	Rule: func(o *Options) string {
		return fmt.Sprintf("a console user's (password_enabled true) access key created 0 to %s after the user (inclusive)", FormatWindow(o.SetupWindow))
	},
	Action: func(f *Finding) string {
		switch f.Severity {
		case SeverityHigh:
			return "Deactivate, then delete"
		case SeverityMedium:
			return "Confirm with the owner first (the key is in use), then deactivate and delete"
		}
		return "Delete (already inactive)"
	},
	Documents: &Documents{
		ReviewTitle: "Credential review: access keys created during console users' initial setup",
		ChangeTitle: "Change request: remove access keys created during console users' initial setup",
		Control:     "CIS AWS Foundations Benchmark: v1.2 §1.21, v1.3 to v4.0 §1.11, v5.0 §1.10, v6.0 §2.10 (do not set up access keys during initial user setup for users that have a console password)",
		ShortRule: func(o *Options) string {
			return fmt.Sprintf("a console user's access key created 0 to %s after the user (inclusive)", FormatWindow(o.SetupWindow))
		},
		Explain: func(o *Options) []string {
			return []string{
				fmt.Sprintf("Rule: for every IAM user whose password_enabled is true (the root user never counts), and each access key N whose access_key_N_last_rotated is a time (the key's creation time), the key is a setup-time key when 0 <= key created - user created <= %s (inclusive). One finding per key.", FormatWindow(o.SetupWindow)),
				"The CIS console audit compares the user's creation time with the key's; its CLI audit looks for console users whose keys were never used. This review joins both, and the severity says which case a key is.",
			}
		},
		Severities: map[Severity]string{
			SeverityHigh:   "active key, never used: the CIS control fails; deactivate, then delete",
			SeverityMedium: "active key that has been used: confirm whether the person needs programmatic access before removing it",
			SeverityLow:    "inactive key: delete it to finish the job",
		},
		NoFindings: "No access key was created during a console user's initial setup.",
	},
	Commands: deactivateThenDelete,
}

// Run is set here, not in the literal: the function refers to the check.
func init() {
	setupKey.Run = checkSetupKey
	register(setupKey)
}

// checkSetupKey finds a console user's access keys created during the
// user's initial setup: 0 to --setup-window after the user (inclusive).
// The CIS console audit compares the two creation times; its CLI audit
// looks for console users whose keys were never used. This joins both, and
// the severity says which case a key is.
func checkSetupKey(r *Row, env *CheckEnv, out []Finding) []Finding {
	if r.Root || !r.Password || !r.Created.IsTime() {
		return out
	}
	window := int64(env.Opts.SetupWindow.Seconds())
	for i := range r.Keys {
		k := &r.Keys[i]
		if !k.Exists() {
			continue
		}
		d := k.Created.Sec() - r.Created.Sec()
		if d < 0 || d > window { // before the user: the parser warns of it
			continue
		}
		detail := "created " + HumanSeconds(d) + " after the user, "
		if k.Used() {
			detail += "last used " + k.LastUsed.String()
		} else {
			detail += "never used"
		}
		out = append(out, setupKey.found(keyFinding(setupKey, r, env, i), setupKeySeverity(k.Active, k.Used()), detail))
	}
	return out
}

// setupKeySeverity is the setup-key check's severity: an active key that
// was never used is the control's failing case; an active key in use asks
// whether the person needs programmatic access; an inactive key only needs
// tidying.
func setupKeySeverity(active, used bool) Severity {
	switch {
	case !active:
		return SeverityLow
	case used:
		return SeverityMedium
	}
	return SeverityHigh
}
