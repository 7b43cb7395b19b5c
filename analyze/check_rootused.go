package analyze

import (
	"fmt"
	"strings"
)

var rootUsed = &Check{
	ID: "root-used", Order: 3, Prefix: "RU", Root: true, NeedsAsOf: true,
	Keyless:  "root user",
	Title:    "The root user was used recently",
	Controls: controls("1.1", "1.7", "1.6", "2.6"),
	Severity: "medium: root use is not wrong in itself (some tasks need it) but must be rare and known; find out who and why",
	Days:     (*Options).rootUseDays,
	Rule: func(o *Options) string {
		return fmt.Sprintf("the root user's password or an access key used %d days or less before the as-of time", o.rootUseDays())
	},
	Action: func(*Finding) string {
		return "Find out who used the root user and why; keep its credentials locked away"
	},
	Commands: func(*Finding) Commands {
		return Commands{
			Test:   []string{"aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=root --max-results 50 --query \"Events[].[EventTime,EventName,EventSource]\" --output text"},
			Manual: "Find out who used the root user, when and why (CloudTrail, in each region used); keep its credentials locked away and do daily work with IAM roles.",
		}
	},
}

// Run is set here, not in the literal: the function refers to the check.
func init() {
	rootUsed.Run = checkRootUsed
	register(rootUsed)
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
	return append(out, rootUsed.found(newFinding(rootUsed, r, env), SeverityMedium,
		strings.Join(used, "; ")+": "+ageText(elapsed(env, newest), limit)+", within "+dayWord(int64(limit))))
}
