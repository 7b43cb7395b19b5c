package analyze

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
			out = append(out, done(newFinding(CheckUnusedCredentials, r, env), SeverityMedium,
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
			out = append(out, done(keyFinding(CheckUnusedCredentials, r, env, i), SeverityMedium,
				what+since.String()+": "+ageText(a, limit)))
		}
	}
	return out
}
