package analyze

var twoActiveKeys = &Check{
	ID: "two-active-keys", Order: 6, Prefix: "TK", NotInCISv7: true,
	Title:    "A user has two active access keys",
	Controls: controls("", "1.13", "1.12", "2.12"),
	Severity: "low: two keys are normal for a rotation in progress; left so, the older one is a spare credential",
	Rule: func(*Options) string {
		return "an IAM user with both access keys active: a finding about the older one"
	},
	Action:   func(*Finding) string { return "Once the newer key is in use, deactivate, then delete this one" },
	Commands: deactivateThenDelete,
}

// Run is set here, not in the literal: the function refers to the check.
func init() {
	twoActiveKeys.Run = checkTwoActiveKeys
	register(twoActiveKeys)
}

// checkTwoActiveKeys finds IAM users with both access keys active. The
// finding is about the older key, the one a finished rotation would have
// retired.
func checkTwoActiveKeys(r *Row, env *CheckEnv, out []Finding) []Finding {
	a, b := &r.Keys[0], &r.Keys[1]
	if r.Root || !a.Exists() || !b.Exists() || !a.Active || !b.Active {
		return out
	}
	older := 0
	if b.Created.Sec() < a.Created.Sec() {
		older = 1
	}
	return append(out, twoActiveKeys.found(keyFinding(twoActiveKeys, r, env, older), SeverityLow,
		"both keys are active; this one, the older, was created "+r.Keys[older].Created.String()))
}
