package analyze

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
		out = append(out, done(keyFinding(CheckSetupKey, r, env, i), severityOf(k.Active, k.Used()), detail))
	}
	return out
}

// severityOf is the setup-key check's severity: an active key that was never
// used is the control's failing case; an active key in use asks whether the
// person needs programmatic access; an inactive key only needs tidying.
func severityOf(active, used bool) Severity {
	switch {
	case !active:
		return SeverityLow
	case used:
		return SeverityMedium
	}
	return SeverityHigh
}
