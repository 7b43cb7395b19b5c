package analyze

import "strings"

// checkRootAccessKey finds the root user's active access keys.
func checkRootAccessKey(r *Row, env *CheckEnv, out []Finding) []Finding {
	if !r.Root {
		return out
	}
	for i := range r.Keys {
		k := &r.Keys[i]
		if k.Exists() && k.Active {
			detail := "active, created " + k.Created.String()
			if k.Used() {
				detail += ", last used " + k.LastUsed.String()
			}
			out = append(out, done(keyFinding(CheckRootAccessKey, r, env, i), SeverityHigh, detail))
		}
	}
	return out
}

// checkRootMFA finds a root user without MFA.
func checkRootMFA(r *Row, env *CheckEnv, out []Finding) []Finding {
	if !r.Root || r.MFA {
		return out
	}
	return append(out, done(newFinding(CheckRootMFA, r, env), SeverityHigh, "mfa_active is false"))
}

// checkRootUsed finds a root user whose password or an access key was used
// within --root-use-days of the as-of time: at most that many times 86,400
// seconds before it (a use after it, which --as-of can make, is within).
func checkRootUsed(r *Row, env *CheckEnv, out []Finding) []Finding {
	if !r.Root {
		return out
	}
	limit := env.Opts.rootUseDays()
	var used []string
	newest := int64(noTime)
	note := func(what string, w When) {
		if w.IsTime() && elapsed(env, w.Sec()) <= days(limit) {
			used = append(used, what+" "+w.String())
			newest = max(newest, w.Sec())
		}
	}
	note("password last used", r.PasswordLastUsed)
	note("access key 1 last used", r.Keys[0].LastUsed)
	note("access key 2 last used", r.Keys[1].LastUsed)
	if len(used) == 0 {
		return out
	}
	return append(out, done(newFinding(CheckRootUsed, r, env), SeverityMedium,
		strings.Join(used, "; ")+": "+ageText(elapsed(env, newest), limit)+", within "+dayWord(int64(limit))))
}
