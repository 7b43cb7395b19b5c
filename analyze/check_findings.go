package analyze

import (
	"fmt"
	"strings"
	"time"
)

// newFinding is a finding of c about a row, without a key: the row's
// strings cloned, as a finding outlives the read buffer they point into.
func newFinding(c *Check, r *Row, env *CheckEnv) Finding {
	f := Finding{
		Check:       c.ID,
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

// keyFinding is a finding of c about key slot i (0 or 1) of a row.
func keyFinding(c *Check, r *Row, env *CheckEnv, i int) Finding {
	f := newFinding(c, r, env)
	k := &r.Keys[i]
	f.KeySlot = i + 1
	f.KeyActive = k.Active
	f.KeyCreated = k.Created.Time()
	f.KeyLastUsed = k.LastUsed.Time()
	f.KeyLastUsedService = strings.Clone(k.Service)
	f.KeyLastUsedRegion = strings.Clone(k.Region)
	return f
}

// found gives a finding of c its severity, detail and id.
func (c *Check) found(f Finding, sev Severity, detail string) Finding {
	f.Severity = sev
	f.Detail = detail
	f.ID = findingID(c.Prefix, &f)
	return f
}

// FormatWindow writes a setup window as people write durations: 1h, 90s,
// 1h30m.
func FormatWindow(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func dayWord(n int64) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}
