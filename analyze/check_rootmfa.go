package analyze

var rootMFA = &Check{
	ID: "root-mfa", Order: 2, Prefix: "RM", Root: true,
	Keyless: "root user", KeylessStatus: "no MFA",
	Title:    "The root user has no MFA",
	Controls: controls("1.13", "1.5", "1.4", "2.4"),
	Severity: "high: the root user's password alone gives all of the account",
	Rule:     func(*Options) string { return "the root user's mfa_active is false" },
	Action:   func(*Finding) string { return "Enable MFA for the root user (a hardware device is best)" },
	Commands: func(*Finding) Commands {
		return Commands{
			Test:   []string{"aws iam get-account-summary --query SummaryMap.AccountMFAEnabled  # 1 once the root user has MFA"},
			Manual: "Sign in as the root user and assign an MFA device (a hardware key is best): Security credentials, Assign MFA device.",
		}
	},
}

// Run is set here, not in the literal: the function refers to the check.
func init() {
	rootMFA.Run = checkRootMFA
	register(rootMFA)
}

// checkRootMFA finds a root user without MFA.
func checkRootMFA(r *Row, env *CheckEnv, out []Finding) []Finding {
	if !r.Root || r.MFA {
		return out
	}
	return append(out, rootMFA.found(newFinding(rootMFA, r, env), SeverityHigh, "mfa_active is false"))
}
