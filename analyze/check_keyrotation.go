package analyze

import "fmt"

var keyRotation = &Check{
	ID: "key-rotation", Order: 7, Prefix: "KR", NeedsAsOf: true,
	Title:       "An active access key older than the rotation period",
	Controls:    controls("1.4", "1.14", "1.13", "2.13"),
	ControlDays: periods(90, 90, 90, 90),
	Days:        (*Options).rotationDays,
	Severity:    "medium: the longer a key lives, the more places it has been copied to",
	Rule: func(o *Options) string {
		return fmt.Sprintf("an IAM user's active access key created more than %d days before the as-of time", o.rotationDays())
	},
	Action: func(*Finding) string {
		return "Rotate: create a new key, move the workload to it, then deactivate and delete this one"
	},
	Commands: func(f *Finding) Commands {
		c := keyCommands(f)
		create := userCommand("create-access-key", f.User) + "  # first: the new key; move the workload to it, then deactivate the old one"
		c.Implement = append([]string{create}, c.Implement...)
		c.Manual = "Rotate the key: create a new key, deliver its secret to the owner securely, move the workload to it, and only then deactivate and delete the old key."
		return c
	},
}

// Run is set here, not in the literal: the function refers to the check.
func init() {
	keyRotation.Run = checkKeyRotation
	register(keyRotation)
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
			out = append(out, keyRotation.found(keyFinding(keyRotation, r, env, i), SeverityMedium,
				"created "+k.Created.String()+": "+ageText(a, limit)+", over "+dayWord(int64(limit))))
		}
	}
	return out
}
