package analyze

var consoleMFA = &Check{
	ID: "console-mfa", Order: 4, Prefix: "CM",
	Keyless: "console password", KeylessStatus: "no MFA",
	Title:    "A console user has no MFA",
	Controls: controls("1.2", "1.10", "1.9", "2.9"),
	Severity: "high: a console password alone opens the account to anyone who learns it",
	Rule:     func(*Options) string { return "an IAM user with password_enabled true and mfa_active false" },
	Action:   func(*Finding) string { return "Have the user enrol an MFA device, or remove the console password" },
	Commands: func(f *Finding) Commands {
		return Commands{
			Test:   []string{userCommand("list-mfa-devices", f.User)},
			Manual: "Have the user sign in and assign an MFA device (IAM console: Security credentials, Assign MFA device), or, if the user needs no console, remove the password: " + userCommand("delete-login-profile", f.User) + ".",
		}
	},
}

// Run is set here, not in the literal: the function refers to the check.
func init() {
	consoleMFA.Run = checkConsoleMFA
	register(consoleMFA)
}

// checkConsoleMFA finds IAM users with a console password and no MFA.
func checkConsoleMFA(r *Row, env *CheckEnv, out []Finding) []Finding {
	if r.Root || !r.Password || r.MFA {
		return out
	}
	return append(out, consoleMFA.found(newFinding(consoleMFA, r, env), SeverityHigh, "password_enabled is true and mfa_active is false"))
}
