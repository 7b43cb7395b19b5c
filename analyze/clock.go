package analyze

import (
	"strings"
	"time"
)

// The review's clock: what every age in a report is measured to.
//
// A report's as-of time is --as-of when given; else its GeneratedTime (the
// JSON that aws iam get-credential-report prints); else the newest time in
// any of its time columns. password_next_rotation is not one of them: it is
// a future date by design. Nothing else moves it: users created years apart
// and idle for years are what the checks look for, not a sign that a row is
// wrong.
//
// Only facts rule a time out. No report holds a time after it was made
// (after its GeneratedTime, when it has one), and none was made after the
// machine that reads it (Options.Now, with MaxClockSkew allowed). Such a
// time is an error that names the row; the row is still checked, and the
// time does not count towards the as-of time.

// timeColumns are the report's time columns, in the order rowTimes holds
// them.
var timeColumns = [...]string{
	"user_creation_time", "password_last_used", "password_last_changed",
	"access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_2_last_rotated", "access_key_2_last_used_date",
	"cert_1_last_rotated", "cert_2_last_rotated",
}

// rowTimes are a row's times in the order of timeColumns, noTime where the
// row has none (a sentinel, or a column the report lacks).
type rowTimes [len(timeColumns)]int64

// text is the value of time column i as the row has it.
func (r *csvRow) timeText(i int) string {
	return [...]string{r.UserCreationTime, r.PasswordLastUsed, r.PasswordLastChanged,
		r.Key1LastRotated, r.Key1LastUsedDate, r.Key2LastRotated, r.Key2LastUsedDate,
		r.Cert1LastRotated, r.Cert2LastRotated}[i]
}

// earliestPossible is the first second a report may hold: AWS opened in
// 2006 (IAM in 2010), and a date before it (a year 0000, the Unix epoch of
// a broken export) would decide the checks in silence: a user made in year
// 0 had no key made during its setup.
var earliestPossible = time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

// rowNewest is the newest time of a row that a report can hold, noTime if
// it has none. A time after the machine's clock, or before AWS, is named in
// an error, and left out.
func (p *reportParser) rowNewest(line int, r *csvRow, t *rowTimes) int64 {
	newest, latest, bad := int64(noTime), p.latest, false
	for _, s := range t {
		possible := s <= latest && (s >= earliestPossible || s == noTime)
		bad = bad || !possible
		if possible {
			newest = max(newest, s)
		}
	}
	if bad {
		p.impossible(line, r, t)
	}
	if p.asOf != 0 {
		p.afterAsOf(line, r, t)
	}
	return newest
}

// impossible reports the times of a row that are after the machine's
// clock, or before AWS.
func (p *reportParser) impossible(line int, r *csvRow, t *rowTimes) {
	var late, early []string
	for i, s := range t {
		switch {
		case s > p.latest:
			late = append(late, timeColumns[i]+" "+r.timeText(i))
		case s < earliestPossible && s != noTime:
			early = append(early, timeColumns[i]+" "+r.timeText(i))
		}
	}
	what := func(cols []string) string {
		if len(cols) > 1 {
			return "these times"
		}
		return "this time"
	}
	if len(late) > 0 {
		p.pr.errorf(line, hintClock, "%s: after this machine's clock (%s) by more than %s, and no report holds a time after it was made; the row is still checked, and the report's as-of time does not count %s",
			strings.Join(late, ", "), stampOf(p.now), dayWord(int64(MaxClockSkew/(24*time.Hour))), what(late))
	}
	if len(early) > 0 {
		p.pr.errorf(line, hintEarly, "%s: before 2006, when AWS opened, so no credential had it; the row is still checked, its checks cannot be trusted to judge %s, and the report's as-of time does not count %s",
			strings.Join(early, ", "), what(early), what(early))
	}
}

// afterAsOf warns about a user or key of a row made after --as-of: ages
// are measured to it, and such a key is younger than nothing. (A use after
// it is no contradiction: the export may be older than the as-of time
// asked for, or newer.)
func (p *reportParser) afterAsOf(line int, r *csvRow, t *rowTimes) {
	for _, i := range [...]int{0, 3, 5} {
		if s := t[i]; s > p.asOf && s <= p.latest {
			p.pr.warnf(line, "%s %s is after the report's as-of time %s", timeColumns[i], r.timeText(i), stampOf(unix(p.asOf)))
			return
		}
	}
}

const (
	hintEarly          = "the row was edited by hand, or the report was damaged; analyse the file AWS produced"
	hintClock          = "the row was edited by hand, or this machine's clock is wrong; to review an old export on a machine whose clock is wrong, give --as-of"
	hintAfterGenerated = "the row was edited by hand, or the report does not come from AWS (moto, for one, writes a fixed GeneratedTime of 2015)"
)

// newReportParser readies a parser of one report: the as-of time opts
// gives, and the machine's clock (now if opts has none).
func newReportParser(rep *Report, opts *Options, pr *problems) *reportParser {
	p := &reportParser{rep: rep, opts: opts, pr: pr, now: opts.Now, yield: func(*Row) bool { return true }}
	if p.now.IsZero() {
		p.now = time.Now()
	}
	p.latest = p.now.Add(MaxClockSkew).Unix()
	if !opts.AsOf.IsZero() {
		p.asOf = opts.AsOf.Unix()
	}
	return p
}

// finish judges the report once its rows are read: it sets the as-of time,
// and names the rows dated after the report's GeneratedTime. A row with
// such a time is still checked, its ages measured to the as-of time, and
// its findings kept: a row is never lost for its dates.
func (p *reportParser) finish() {
	rep := p.rep
	if p.seen == nil {
		p.seen = &userSet{}
	}
	p.derive()
	if g := rep.Generated; !g.IsZero() && g.Unix() > p.latest {
		p.pr.errorf(0, hintClock, "GeneratedTime %s is after this machine's clock (%s) by more than %s, and no report was made after the machine that reads it; it is not used: the report is taken as one without a GeneratedTime",
			stampOf(g), stampOf(p.now), dayWord(int64(MaxClockSkew/(24*time.Hour))))
		rep.Generated = time.Time{}
	}
	g := rep.Generated.Unix()
	for _, t := range p.seen.times {
		switch {
		case t.sec == noTime:
		case !rep.Generated.IsZero() && t.sec > g:
			p.pr.errorf(int(t.line), hintAfterGenerated, "the row has a time, %s, after the report's GeneratedTime %s, and no report holds a time after it was generated; the row is still checked, its ages measured to the GeneratedTime",
				stampOf(unix(t.sec)), stampOf(rep.Generated))
		case t.sec > rep.newest:
			rep.newest = t.sec
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
}

// whenOf is the When of a time column read into rowTimes: N/A for noTime.
func whenOf(sec int64) When {
	if sec == noTime {
		return NotApplicable
	}
	return At(sec)
}

// stampOf writes a time as every message does: 2006-01-02T15:04:05Z.
func stampOf(t time.Time) string { return string(AppendStamp(nil, t)) }

// Ages are decided in seconds and shown in whole days: "older than 90
// days" is more than 90×86400 seconds, whatever the days of the calendar.

// elapsed is how long before the as-of time sec was, in seconds; negative
// for a time after it.
func elapsed(env *CheckEnv, sec int64) int64 { return env.AsOf - sec }

// days is a period of n days in seconds.
func days(n int) int64 { return int64(n) * 86400 }

// ageText says how long before the as-of time something was, in whole
// days, and to the hour where whole days alone would hide which side of
// limit days it is on.
func ageText(sec int64, limit int) string {
	if sec < 0 {
		return HumanSeconds(-sec) + " after the as-of time"
	}
	if sec/86400 == int64(limit) && sec%86400 != 0 {
		return HumanSeconds(sec) + " before the as-of time"
	}
	return dayWord(sec/86400) + " before the as-of time"
}
