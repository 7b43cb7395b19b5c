package analyze

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unsafe"
)

// The sentinels a credential report writes where a value does not apply.
const (
	notApplicable = "N/A"
	noInformation = "no_information"
	notSupported  = "not_supported"
	rootUser      = "<root_account>"
)

var errNotTime = errors.New("not an ISO 8601 time")

// maxOffsetMinutes is the largest UTC offset of any time zone (Kiribati,
// +14:00; the farthest west is -12:00). A larger one is not a time AWS or a
// person wrote.
const maxOffsetMinutes = 14 * 60

// parseStamp reads a report timestamp to the second, as Unix seconds in UTC.
// Real reports write 2023-05-24T07:04:17+00:00, hand-made files and the API
// envelope 2023-05-24T07:04:17Z; other offsets, up to the ±14:00 that real
// time zones reach, are converted to UTC, and fractional seconds (which IAM
// never writes) are dropped. It is written by hand because time.Parse costs
// more than the rest of a row together.
func parseStamp(s string) (int64, error) {
	// The two spellings of real reports first, without loops.
	if (len(s) == 25 && s[19:] == "+00:00") || (len(s) == 20 && s[19] == 'Z') {
		if sec, ok := fastStamp(s); ok {
			return sec, nil
		}
	}
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return 0, errNotTime
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	min, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || min > 59 || sec > 59 {
		return 0, errNotTime
	}
	rest := s[19:]
	if rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return 0, errNotTime
		}
		rest = rest[i:]
	}
	offset := 0
	switch {
	case rest == "Z" || rest == "z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, okh := digits(rest[1:3])
		om, okm := digits(rest[4:6])
		if !okh || !okm || om > 59 || oh*60+om > maxOffsetMinutes {
			return 0, errNotTime
		}
		offset = oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, errNotTime
	}
	return daysFromCivil(year, month, day)*86400 + int64(hour*3600+min*60+sec-offset), nil
}

// fastStamp reads YYYY-MM-DDTHH:MM:SS at the start of s, in UTC. It checks
// and converts eight bytes at a time: with millions of timestamps in a
// batch, one byte at a time showed in the profile.
func fastStamp(s string) (int64, bool) {
	const zeros = 0x3030303030303030
	_ = s[18]
	w1 := binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s), 8))      // YYYY-MM-
	w2 := binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[8:]), 8))  // DDTHH:MM
	w3 := binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[11:]), 8)) // HH:MM:SS
	// Separators where they belong, then every other byte a digit.
	const sep1, sepMask1 = 0x2D00002D00000000, 0xFF0000FF00000000 // '-' at 4 and 7
	const sep2, sepMask2 = 0x00003A0000540000, 0x0000FF0000FF0000 // 'T' at 2, ':' at 5
	const sep3, sepMask3 = 0x00003A00003A0000, 0x0000FF0000FF0000 // ':' at 2 and 5
	if w1&sepMask1 != sep1 || w2&sepMask2 != sep2 || w3&sepMask3 != sep3 {
		return 0, false
	}
	// With separators turned into '0', subtracting '0' from each byte borrows
	// nowhere unless a byte is below '0', which the check then catches.
	d1 := (w1&^sepMask1 | zeros&sepMask1) - zeros
	d2 := (w2&^sepMask2 | zeros&sepMask2) - zeros
	d3 := (w3&^sepMask3 | zeros&sepMask3) - zeros
	const highs, six = 0x8080808080808080, 0x7676767676767676
	if (d1|(d1+six)|d2|(d2+six)|d3|(d3+six))&highs != 0 {
		return 0, false // a byte that is not a digit
	}
	b := func(w uint64, i uint) int { return int(w >> (8 * i) & 0xFF) }
	year := b(d1, 0)*1000 + b(d1, 1)*100 + b(d1, 2)*10 + b(d1, 3)
	month, day := b(d1, 5)*10+b(d1, 6), b(d2, 0)*10+b(d2, 1)
	hour, min, sec := b(d3, 0)*10+b(d3, 1), b(d3, 3)*10+b(d3, 4), b(d3, 6)*10+b(d3, 7)
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || min > 59 || sec > 59 {
		return 0, false
	}
	return daysFromCivil(year, month, day)*86400 + int64(hour*3600+min*60+sec), true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// monthStart holds the days from 1970-01-01 to the first of each month of
// the years reports have, so that a timestamp costs a lookup.
var monthStart = func() (t [(2200 - 1970) * 12]int64) {
	for i := range t {
		t[i] = civilDays(1970+i/12, i%12+1, 1)
	}
	return t
}()

// daysFromCivil counts days from 1970-01-01 to a proleptic Gregorian date.
func daysFromCivil(y, m, d int) int64 {
	if i := (y-1970)*12 + m - 1; y >= 1970 && i < len(monthStart) {
		return monthStart[i] + int64(d-1)
	}
	return civilDays(y, m, d)
}

// civilDays is daysFromCivil by Howard Hinnant's algorithm, for any date.
func civilDays(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if y < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// stampOrSentinel reads a timestamp column that may instead hold one of the
// report's sentinels; ok is false for a sentinel.
func stampOrSentinel(s string) (sec int64, ok bool, err error) {
	if len(s) < 20 { // no timestamp is this short
		switch s {
		case notApplicable, noInformation, notSupported:
			return 0, false, nil
		}
	}
	sec, err = parseStamp(s)
	return sec, err == nil, err
}

// parseBool reads the report's booleans, which the documentation writes
// TRUE/FALSE and real reports true/false.
func parseBool(s string) (bool, error) {
	// The spelling of real reports first, small enough to be inlined.
	if s == "true" {
		return true, nil
	}
	if s == "false" {
		return false, nil
	}
	return parseBoolFold(s)
}

func parseBoolFold(s string) (bool, error) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, nil
	case strings.EqualFold(s, "false"):
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}

// ValidUserName reports whether name is a legal IAM user name: 1 to 64
// letters, digits and + = , . @ _ -, starting with any of them. Only such
// names get remediation commands; the commands rely on it.
func ValidUserName(name string) bool {
	if len(name) == 0 || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !nameBytes[name[i]] {
			return false
		}
	}
	return true
}

// nameBytes marks the bytes a user name may have.
var nameBytes = func() (t [256]bool) {
	for c := range 256 {
		b := byte(c)
		t[c] = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("+=,.@_-", b) >= 0
	}
	return t
}()

func nameByte(c byte) bool { return nameBytes[c] }

// validKeyID reports whether id has the form of an access key id
// (the IAM API's pattern [\w]+, 16 to 128 characters).
func validKeyID(id string) bool {
	if len(id) < 16 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// validRegion reports whether s is what AWS writes in
// access_key_N_last_used_region: N/A, or a region name such as us-east-1,
// cn-north-1, us-gov-west-1, us-isob-east-1 or eusc-de-east-1: a prefix of
// two to four lower-case letters, one or more lower-case words, and a number.
func validRegion(s string) bool {
	if s == notApplicable {
		return true
	}
	if len(s) > 32 {
		return false
	}
	words, start := 0, 0 // words before the number, and where the current part starts
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '-' {
			continue
		}
		part := s[start:i]
		start = i + 1
		if i == len(s) { // the number
			_, ok := digits(part)
			return ok && len(part) >= 1 && len(part) <= 2 && words >= 2
		}
		if part == "" || words == 0 && (len(part) < 2 || len(part) > 4) {
			return false
		}
		for j := 0; j < len(part); j++ {
			if part[j] < 'a' || part[j] > 'z' {
				return false
			}
		}
		words++
	}
	return false
}

// validService reports whether s is what AWS writes in
// access_key_N_last_used_service: N/A, or a service's endpoint prefix (s3,
// execute-api, ...): lower-case letters, digits, '-' and '.', starting with
// a letter or digit.
func validService(s string) bool {
	if s == notApplicable {
		return true
	}
	if len(s) == 0 || len(s) > 64 || s[0] == '-' || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// arn is the part of an IAM ARN that credreview uses.
type arn struct {
	partition, account, resource string
}

// parseARN splits arn:PARTITION:iam::ACCOUNT:RESOURCE. The account must be
// digits; AWS writes 12, test fixtures often fewer, which the caller reports.
func parseARN(s string) (arn, bool) {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return arn{}, false
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !ok || !validPartition(partition) {
		return arn{}, false
	}
	rest, ok = strings.CutPrefix(rest, "iam::")
	if !ok {
		return arn{}, false
	}
	account, resource, ok := strings.Cut(rest, ":")
	if !ok || account == "" || resource == "" {
		return arn{}, false
	}
	if _, ok := digits(account); !ok {
		return arn{}, false
	}
	return arn{partition: partition, account: account, resource: resource}, true
}

// validPartition accepts aws, aws-cn, aws-us-gov and the other aws-* partitions.
func validPartition(p string) bool {
	if p == "aws" {
		return true
	}
	rest, ok := strings.CutPrefix(p, "aws-")
	if !ok || rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

// unix converts seconds to a UTC time.
func unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// AppendStamp appends t in UTC as 2006-01-02T15:04:05Z, the spelling every
// output uses. It is time.Format without the layout parsing, which showed
// in the profile of large batches.
func AppendStamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	two := func(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, "2006-01-02T15:04:05Z")
	}
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-')
	b = append(two(b, int(month)), '-')
	b = append(two(b, day), 'T')
	b = append(two(b, hour), ':')
	b = append(two(b, min), ':')
	return append(two(b, sec), 'Z')
}
