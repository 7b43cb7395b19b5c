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
// --rotation-days before the as-of time.
func checkKeyRotation(r *Row, env *CheckEnv, out []Finding) []Finding {
	if r.Root {
		return out
	}
	limit := int64(env.Opts.rotationDays())
	for i := range r.Keys {
		k := &r.Keys[i]
		if !k.Exists() || !k.Active {
			continue
		}
		if a := age(env, k.Created.Sec()); a > limit {
			out = append(out, done(keyFinding(CheckKeyRotation, r, env, i), SeverityMedium,
				"created "+k.Created.String()+": "+dayWord(a)+" before the as-of time, over "+dayWord(limit)))
		}
	}
	return out
}
