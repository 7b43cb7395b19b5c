package analyze

// checkConsoleMFA finds IAM users with a console password and no MFA.
func checkConsoleMFA(r *Row, env *CheckEnv, out []Finding) []Finding {
	if r.Root || !r.Password || r.MFA {
		return out
	}
	return append(out, done(newFinding(CheckConsoleMFA, r, env), SeverityHigh, "password_enabled is true and mfa_active is false"))
}
