package analyze

import (
	"fmt"
	"strings"
)

// newFinding is a finding of check about a row, without a key: the row's
// strings cloned, as a finding outlives the read buffer they point into.
func newFinding(check string, r *Row, env *CheckEnv) Finding {
	f := Finding{
		Check:       check,
		Source:      env.Source,
		Line:        r.Line,
		AccountID:   env.AccountID,
		Partition:   env.Partition,
		User:        strings.Clone(r.User),
		ARN:         strings.Clone(r.ARN),
		UserCreated: r.Created.Time(),
		MFAActive:   r.MFA,
	}
	switch {
	case r.PasswordLastUsed.IsTime():
		f.PasswordLastUsed = PasswordUse{Time: r.PasswordLastUsed.Time()}
	case r.PasswordLastUsed.IsNA():
		f.PasswordLastUsed = PasswordUse{Never: true}
	}
	f.PasswordLastChanged = r.PasswordLastChanged().Time()
	return f
}

// keyFinding is a finding of check about key slot i (0 or 1) of a row.
func keyFinding(check string, r *Row, env *CheckEnv, i int) Finding {
	f := newFinding(check, r, env)
	k := &r.Keys[i]
	f.KeySlot = i + 1
	f.KeyActive = k.Active
	f.KeyCreated = k.Created.Time()
	f.KeyLastUsed = k.LastUsed.Time()
	f.KeyLastUsedService = strings.Clone(k.Service)
	f.KeyLastUsedRegion = strings.Clone(k.Region)
	return f
}

// done gives a finding its severity and id.
func done(f Finding, sev Severity, detail string) Finding {
	f.Severity = sev
	f.Detail = detail
	f.ID = findingID(&f)
	return f
}

func dayWord(n int64) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}
