package analyze

import (
	"fmt"
	"time"
)

var rootAccessKey = &Check{
	ID: "root-access-key", Order: 1, Prefix: "RK", Root: true,
	Title:    "The root user has an active access key",
	Controls: controls("1.12", "1.4", "1.3", "2.3"),
	Severity: "high: a root key can do anything in the account and cannot be limited by any policy",
	Rule:     func(*Options) string { return "the root user's row has an active access key" },
	Action:   func(*Finding) string { return "Delete the root user's key: sign in as root, Security credentials" },
	Commands: func(f *Finding) Commands {
		return Commands{
			Test:   []string{"aws iam get-account-summary --query SummaryMap.AccountAccessKeysPresent  # 0 once the root user has no key"},
			Manual: fmt.Sprintf("Sign in as the root user, open Security credentials, and deactivate, then delete, access key %d, created %s. Only the root user can: no IAM permission reaches the root user's keys.", f.KeySlot, f.KeyCreated.Format(time.RFC3339)),
		}
	},
}

// Run is set here, not in the literal: the function refers to the check.
func init() {
	rootAccessKey.Run = checkRootAccessKey
	register(rootAccessKey)
}

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
			out = append(out, rootAccessKey.found(keyFinding(rootAccessKey, r, env, i), SeverityHigh, detail))
		}
	}
	return out
}
