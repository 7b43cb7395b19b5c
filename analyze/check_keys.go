package analyze

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
	return append(out, done(keyFinding(CheckTwoActiveKeys, r, env, older), SeverityLow,
		"both keys are active; this one, the older, was created "+r.Keys[older].Created.String()))
}

// checkKeyRotation finds active access keys of IAM users created more than
// --rotation-days before the as-of time: more than that many times 86,400
// seconds, so a key 90 days and an hour old is over a 90-day period.
func checkKeyRotation(r *Row, env *CheckEnv, out []Finding) []Finding {
	if r.Root {
		return out
	}
	limit := env.Opts.rotationDays()
	for i := range r.Keys {
		k := &r.Keys[i]
		if !k.Exists() || !k.Active {
			continue
		}
		if a := elapsed(env, k.Created.Sec()); a > days(limit) {
			out = append(out, done(keyFinding(CheckKeyRotation, r, env, i), SeverityMedium,
				"created "+k.Created.String()+": "+ageText(a, limit)+", over "+dayWord(int64(limit))))
		}
	}
	return out
}
