package analyze

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unsafe"
)

// What a report keeps of each row it checked, a few dozen bytes, to judge
// after the last row what no single row shows: which rows are dated after
// the report itself, and how a user's repeated rows differ.

// The columns of a row's times, for rowTime.col.
const (
	colUserCreated uint8 = iota
	colPasswordUsed
	colKey1Created
	colKey1Used
	colKey2Created
	colKey2Used
)

var colNames = [...]string{"user_creation_time", "password_last_used", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_2_last_rotated", "access_key_2_last_used_date"}

// rowTime is a row's newest time, its column and its line.
type rowTime struct {
	sec  int64
	line int32
	col  uint8
	has  bool
}

func (t *rowTime) add(sec int64, col uint8) {
	if !t.has || sec > t.sec {
		t.sec, t.col, t.has = sec, col, true
	}
}

// outlierGap is how far beyond the rest of a report a row's newest time
// must be, in a report without a GeneratedTime, for the row to count as
// dated after the report: more than a year (366 days).
const outlierGap = 366 * 86400

// finish judges the report once its rows are read: the rows dated after
// it, its as-of time, and the findings of repeated rows.
//
// A report holds nothing newer than the moment it was generated. With a
// GeneratedTime (the JSON envelope), a row with a time after it is an
// error. Without one, the report's newest time stands in for it, and a
// hand-edited date far in the future would move it there; so the rows
// whose newest time is more than a year after the newest time of all the
// other rows (at most half of the rows, above the lowest such gap) are
// errors, and do not count towards the report's newest time. Either way the
// row is still checked, its ages measured to the as-of time (never
// negative), and its findings kept: a row is never lost for its dates.
func (p *reportParser) finish() {
	rep := p.rep
	const stamp = "2006-01-02T15:04:05Z"
	if p.seen == nil {
		p.seen = &userSet{}
	}
	if !rep.Generated.IsZero() {
		g := rep.Generated.Unix()
		for _, t := range p.seen.times {
			switch {
			case !t.has:
			case t.sec > g:
				p.pr.errorf(int(t.line), hintAfterGenerated, "%s %s is after the report's GeneratedTime %s, and no report holds a time after it was generated; the row is still checked, its ages measured to the GeneratedTime",
					colNames[t.col], unix(t.sec).Format(stamp), rep.Generated.Format(stamp))
			case t.sec > rep.newest:
				rep.newest = t.sec
			}
		}
	} else {
		cutoff, line, ok := outlierCutoff(p.seen.times)
		for _, t := range p.seen.times {
			switch {
			case !t.has:
			case ok && t.sec > cutoff:
				p.pr.errorf(int(t.line), hintOutlier, "%s %s is more than a year after the newest time in the rest of the report (%s, at line %d), and the report has no GeneratedTime to say when it was made; the row is still checked, and the report's ages are measured to that newest time",
					colNames[t.col], unix(t.sec).Format(stamp), unix(cutoff).Format(stamp), line)
			case t.sec > rep.newest:
				rep.newest = t.sec
			}
		}
	}
	switch {
	case !p.opts.AsOf.IsZero():
		rep.AsOf, rep.AsOfRule = p.opts.AsOf.UTC(), AsOfFlag
	case !rep.Generated.IsZero():
		rep.AsOf, rep.AsOfRule = rep.Generated, AsOfGenerated
	case rep.newest != 0:
		rep.AsOf, rep.AsOfRule = unix(rep.newest), AsOfNewest
	}
	if p.sawDup {
		p.findings = dedupe(p.findings)
	}
}

const (
	hintAfterGenerated = "the row was edited by hand, or the report does not come from AWS (moto, for one, writes a fixed GeneratedTime of 2015)"
	hintOutlier        = "the row was edited by hand, or its dates are wrong; the JSON that aws iam get-credential-report prints has a GeneratedTime, which settles what the report can hold"
)

// outlierCutoff finds, in a report without a GeneratedTime, the newest time
// of the rows that are not dated far beyond the rest: the rows above it are
// at most half of the rows, and more than outlierGap after it. It returns
// that time and its line, and false when no row is so far beyond the rest.
//
// It runs in linear time: a batch has hundreds of reports, and sorting each
// one's times would cost as much as a tenth of reading it. Times fall into
// buckets outlierGap wide, within which no two are a gap apart, so a gap
// is always between the newest time of one bucket and the oldest of the
// next one that is not empty.
func outlierCutoff(times []rowTime) (cutoff int64, line int, ok bool) {
	n := 0
	var lo, hi int64
	for _, t := range times {
		if !t.has {
			continue
		}
		if n == 0 || t.sec < lo {
			lo = t.sec
		}
		if n == 0 || t.sec > hi {
			hi = t.sec
		}
		n++
	}
	if n < 2 || hi-lo <= outlierGap {
		return 0, 0, false
	}
	type bucket struct {
		n          int
		oldest     int64
		newest     int64
		newestLine int32
	}
	buckets := make([]bucket, (hi-lo)/outlierGap+1)
	for _, t := range times {
		if !t.has {
			continue
		}
		b := &buckets[(t.sec-lo)/outlierGap]
		if b.n == 0 || t.sec < b.oldest {
			b.oldest = t.sec
		}
		if b.n == 0 || t.sec > b.newest {
			b.newest, b.newestLine = t.sec, t.line
		}
		b.n++
	}
	above := 0                // times in the buckets above i
	upper := len(buckets) - 1 // the lowest non-empty bucket above i
	for i := len(buckets) - 2; i >= 0; i-- {
		above += buckets[i+1].n
		if 2*above > n {
			break // the rows above would be more than half
		}
		if buckets[i].n == 0 {
			continue
		}
		if buckets[upper].oldest-buckets[i].newest > outlierGap {
			cutoff, line, ok = buckets[i].newest, int(buckets[i].newestLine), true
		}
		upper = i
	}
	return cutoff, line, ok
}

// rowDigest is what a user's first row said, to name the columns a repeated
// row of the same user changes: the values checked exactly, the rest as
// hashes.
type rowDigest struct {
	created, pw         int64
	keyCreated, keyUsed [2]int64
	flags               uint16
	user, arn           uint32
	region, service     [2]uint32
}

const (
	flagConsole = 1 << iota
	flagMFA
	flagPWKnown
	flagPWNever
	flagKey1Active
	flagKey1Exists
	flagKey1Used
	flagKey2Active
	flagKey2Exists
	flagKey2Used
)

// digestOf fills a row's digest. userHash is hash64 of the user name; an
// ARN that is the account's prefix, user/ and the name (the common case)
// is known from the name, and is not hashed again. It is written out flat,
// without helpers: it runs for every row of every report.
func digestOf(d *rowDigest, r *csvRow, userHash uint64, canonicalARN bool, created int64, console, mfa bool, pw passwordUse, keys *[2]keyState) {
	*d = rowDigest{
		created:    created,
		pw:         pw.sec,
		keyCreated: [2]int64{keys[0].created, keys[1].created},
		keyUsed:    [2]int64{keys[0].usedT, keys[1].usedT},
		user:       uint32(userHash),
	}
	if !canonicalARN {
		d.arn = uint32(hash64(r.ARN)) | 1
	}
	if keys[0].used || r.Key1LastUsedRegion != notApplicable || r.Key1LastUsedService != notApplicable {
		d.region[0], d.service[0] = uint32(hash64(r.Key1LastUsedRegion)), uint32(hash64(r.Key1LastUsedService))
	}
	if keys[1].used || r.Key2LastUsedRegion != notApplicable || r.Key2LastUsedService != notApplicable {
		d.region[1], d.service[1] = uint32(hash64(r.Key2LastUsedRegion)), uint32(hash64(r.Key2LastUsedService))
	}
	d.flags = bit(console, flagConsole) | bit(mfa, flagMFA) | bit(pw.known, flagPWKnown) | bit(pw.never, flagPWNever) |
		bit(keys[0].active, flagKey1Active) | bit(keys[0].exists, flagKey1Exists) | bit(keys[0].used, flagKey1Used) |
		bit(keys[1].active, flagKey2Active) | bit(keys[1].exists, flagKey2Exists) | bit(keys[1].used, flagKey2Used)
}

// bit is flag if on, else 0, without a branch: the flags of report rows
// are as good as random, and mispredicted branches showed in the profile.
func bit(on bool, flag uint16) uint16 {
	return uint16(*(*uint8)(unsafe.Pointer(&on))) * flag
}

// differences names the columns in which two rows differ.
func (a *rowDigest) differences(b *rowDigest) []string {
	var cols []string
	diff := func(differ bool, col string) {
		if differ {
			cols = append(cols, col)
		}
	}
	flag := func(f uint16) bool { return a.flags&f != b.flags&f }
	diff(a.user != b.user, "user")
	diff(a.arn != b.arn, "arn")
	diff(a.created != b.created, "user_creation_time")
	diff(flag(flagConsole), "password_enabled")
	diff(a.pw != b.pw || flag(flagPWKnown|flagPWNever), "password_last_used")
	diff(flag(flagMFA), "mfa_active")
	for i := range 2 {
		n := fmt.Sprintf("access_key_%d_", i+1)
		diff(flag(flagKey1Active<<(3*i)), n+"active")
		diff(a.keyCreated[i] != b.keyCreated[i] || flag(flagKey1Exists<<(3*i)), n+"last_rotated")
		diff(a.keyUsed[i] != b.keyUsed[i] || flag(flagKey1Used<<(3*i)), n+"last_used_date")
		diff(a.region[i] != b.region[i], n+"last_used_region")
		diff(a.service[i] != b.service[i], n+"last_used_service")
	}
	return cols
}

// duplicate warns about a user's repeated row, naming what differs.
func (p *reportParser) duplicate(line, first int, user string, a, b *rowDigest) {
	cols := a.differences(b)
	if len(cols) == 0 {
		p.pr.warnf(line, "user %s appears again (first at line %d); both rows are checked, the user is counted once", user, first)
		return
	}
	p.pr.warnf(line, "user %s appears again (first at line %d), and the rows differ in %s; both rows are checked, the user is counted once, and a key both rows have is reported once, at the higher severity", user, first, strings.Join(cols, ", "))
}

// dedupe keeps one finding per key when a user's row repeats: the one of
// the highest severity, else the first, so that a repeated row can never
// lower what a key is reported as.
func dedupe(fs []Finding) []Finding {
	type key struct {
		account, user string
		slot          int
		created       int64
	}
	at := map[key]int{}
	out := fs[:0]
	for _, f := range fs {
		k := key{f.Partition + ":" + f.AccountID, strings.ToLower(f.User), f.KeySlot, f.KeyCreated.Unix()}
		if i, ok := at[k]; ok {
			if f.Severity > out[i].Severity {
				out[i] = f
			}
			continue
		}
		at[k] = len(out)
		out = append(out, f)
	}
	return out
}

// hash64 is a small, fast hash for rowDigest and keyHash: the digest is
// compared only with another row's of the same report, and a key's hash
// only ever makes a count higher.
func hash64(s string) uint64 {
	const m = 0x9E3779B97F4A7C15
	h := uint64(len(s)) * m
	for len(s) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s), 8))) * m
		h ^= h >> 31
		s = s[8:]
	}
	var tail uint64
	for i := 0; i < len(s); i++ {
		tail |= uint64(s[i]) << (8 * i)
	}
	h = (h ^ tail) * m
	return h ^ h>>29
}

// keyHash names a key by its user (hash64 of the name) and creation second,
// for counting the keys an unbound inventory entry matches once every
// report is read. Two keys that share a hash only make a count higher,
// which keeps an entry from being used, never the other way round.
func keyHash(userHash uint64, created int64) uint64 {
	const m = 0x9E3779B97F4A7C15
	h := (userHash ^ uint64(created)) * m
	return h ^ h>>31
}
