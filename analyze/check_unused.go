package analyze

import "fmt"

var unusedCredentials = &Check{
	ID: "unused-credentials", Order: 5, Prefix: "UC", NeedsAsOf: true,
	Keyless:  "console password",
	Title:    "A password or an active access key unused for the period",
	Controls: controls("1.3", "1.12", "1.11", "2.11"),
	// v1.2's control is "unused for 90 days or greater"; from v1.4 on,
	// 45 days.
	ControlDays: periods(90, 45, 45, 45),
	Days:        (*Options).unusedDays,
	Severity:    "medium: a credential nobody uses is one nobody would miss if it leaked",
	Rule: func(o *Options) string {
		return fmt.Sprintf("an IAM user's password, or active access key, not used for %d days or more before the as-of time; one never used counts from when it was set (password_last_changed, access_key_N_last_rotated), as CIS says, and no_information likewise", o.unusedDays())
	},
	Action: func(f *Finding) string {
		if !f.HasKey() {
			return "Remove the console password (delete the login profile)"
		}
		return "Deactivate, then delete"
	},
	Commands: func(f *Finding) Commands {
		if f.HasKey() {
			return deactivateThenDelete(f)
		}
		del := userCommand("delete-login-profile", f.User)
		return Commands{
			Test:       []string{userCommand("get-login-profile", f.User)},
			Implement:  []string{del},
			Backout:    []string{userCommand("create-login-profile", f.User) + ` --password-reset-required --password "$NEW_PASSWORD"  # a NEW password: set NEW_PASSWORD, and deliver it to the user securely`},
			Lookup:     userCommand("get-login-profile", f.User) + " --query LoginProfile.CreateDate --output text",
			Deactivate: del,
		}
	},
}

// Run is set here, not in the literal: the function refers to the check.
func init() {
	unusedCredentials.Run = checkUnusedCredentials
	register(unusedCredentials)
}

// checkUnusedCredentials finds an IAM user's password, and active access
// keys, not used for --unused-days or more before the as-of time. A
// credential never used (N/A) counts from when it was set, as CIS says:
// password_last_changed for the password, access_key_N_last_rotated for a
// key; no_information (not used since tracking began) counts likewise. A
// password without a change time counts from the user's creation. "For 45
// days or more" is at least 45 times 86,400 seconds.
func checkUnusedCredentials(r *Row, env *CheckEnv, out []Finding) []Finding {
	if r.Root {
		return out
	}
	limit := env.Opts.unusedDays()
	if r.Password {
		since, what := r.PasswordLastUsed, "password last used "
		if !since.IsTime() {
			never := "password never used, "
			if r.PasswordLastUsed.IsNoInformation() {
				never = "password not used since AWS began to record it, or never (no_information), "
			}
			since, what = r.PasswordLastChanged(), never+"set "
			if !since.IsTime() {
				since, what = r.Created, never+"user created "
			}
		}
		if a := elapsed(env, since.Sec()); since.IsTime() && a >= days(limit) {
			out = append(out, unusedCredentials.found(newFinding(unusedCredentials, r, env), SeverityMedium,
				what+since.String()+": "+ageText(a, limit)))
		}
	}
	for i := range r.Keys {
		k := &r.Keys[i]
		if !k.Exists() || !k.Active {
			continue
		}
		since, what := k.LastUsed, "last used "
		if !since.IsTime() {
			since, what = k.Created, "never used, created "
		}
		if a := elapsed(env, since.Sec()); a >= days(limit) {
			out = append(out, unusedCredentials.found(keyFinding(unusedCredentials, r, env, i), SeverityMedium,
				what+since.String()+": "+ageText(a, limit)))
		}
	}
	return out
}
