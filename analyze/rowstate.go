package analyze

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"unsafe"
)

// What a report keeps of each row it checked, a few dozen bytes, to judge
// after the last row what no single row shows: which rows are dated after
// the report itself, and how a user's repeated rows differ.

// rowTime is a row's newest time and its line; sec is noTime when the row
// has none.
type rowTime struct {
	sec  int64
	line int32
}

const noTime = math.MinInt64

// timeIf is sec when on, else noTime: without a branch, since which of a
// row's times are there is as good as random, and mispredicted branches
// showed in the profile of large batches.
func timeIf(sec int64, on bool) int64 {
	if on {
		return sec
	}
	return noTime
}

// derive makes, once the rows are read, what the report keeps of them that
// the users' first rows' digests hold: each row's newest time (beside those
// of repeated rows and the root's, kept as they came), in line order, and
// the hashes of the users' keys. Done here, in one pass, rather than as
// each row is read, it keeps the reading of a row short: in a batch of
// hundreds of thousands of rows, every nanosecond there shows.
func (p *reportParser) derive() {
	s := p.seen
	// The times of repeated rows and the root's, and those of first rows,
	// are each in line order: merge them.
	extra := slices.Clone(s.times)
	times := slices.Grow(s.times[:0], len(s.digests)+len(extra))
	count := 0
	for e := range s.digests {
		f := s.digests[e].flags
		count += int(f&flagKey1Exists)/flagKey1Exists + int(f&flagKey2Exists)/flagKey2Exists
	}
	keys := make([]uint64, count+2) // room for the writes of keys that do not exist
	n := 0
	for e := range s.digests {
		d := &s.digests[e]
		line := s.ents[e].line
		for len(extra) > 0 && extra[0].line < line {
			times, extra = append(times, extra[0]), extra[1:]
		}
		times = append(times, rowTime{sec: d.newest(), line: line})
		// Without a branch on whether each key exists: as good as random.
		keys[n] = keyHash(d.name, d.keyCreated[0])
		n += int(d.flags&flagKey1Exists) / flagKey1Exists
		keys[n] = keyHash(d.name, d.keyCreated[1])
		n += int(d.flags&flagKey2Exists) / flagKey2Exists
	}
	s.times = append(times, extra...)
	p.rep.Keys = n
	p.rep.keys = keys[:n:n]
	p.rep.users = s.list()
}

// rowDigest is what a user's first row said, to name the columns a repeated
// row of the same user changes: the values checked exactly, the rest as
// hashes.
type rowDigest struct {
	latest              int64 // the row's newest possible time (rowNewest), noTime if none
	created, pw         int64
	keyCreated, keyUsed [2]int64
	user                uint64 // the upper-case marks of the name, the same ignoring case
	name                uint64 // the hash of the name ignoring case, for keyHash
	flags               uint16
	arn                 uint32
	region, service     [2]uint32
}

// newest is the newest possible time of the row, noTime if it has none.
func (d *rowDigest) newest() int64 { return d.latest }

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

// digestOf makes a row's digest. a is what the user set said of the row,
// use the identities of the last-used regions and services (checkUse),
// flags those of password_enabled, mfa_active and password_last_used; an
// ARN that is the account's prefix, user/ and the name (the common case)
// is known from the name, and is not hashed. It is written out flat, without
// helpers or branches, with few arguments: it runs for every row of every
// report.
func digestOf(r *csvRow, a *added, use *[4]uint32, canonicalARN bool, created int64, flags uint16, pw int64, keys *[2]keyState) rowDigest {
	d := rowDigest{
		created:    created,
		pw:         pw,
		keyCreated: [2]int64{keys[0].created, keys[1].created},
		keyUsed:    [2]int64{keys[0].usedT, keys[1].usedT},
		user:       a.upper,
		name:       a.hash,
		region:     [2]uint32{use[0], use[2]},
		service:    [2]uint32{use[1], use[3]},
		flags: flags | bit(keys[0].active, flagKey1Active) | bit(keys[0].exists, flagKey1Exists) | bit(keys[0].used, flagKey1Used) |
			bit(keys[1].active, flagKey2Active) | bit(keys[1].exists, flagKey2Exists) | bit(keys[1].used, flagKey2Used),
	}
	if !canonicalARN {
		d.arn = uint32(hash64(r.ARN)) | 1
	}
	return d
}

// bit is flag if on, else 0, without a branch: the flags of report rows
// are as good as random, and mispredicted branches showed in the profile.
func bit(on bool, flag uint16) uint16 { return uint16(bit8(on)) * flag }

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
		check, account, user string
		slot                 int
		created              int64
	}
	at := map[key]int{}
	out := fs[:0]
	for _, f := range fs {
		k := key{f.Check, f.Partition + ":" + f.AccountID, strings.ToLower(f.User), f.KeySlot, f.KeyCreated.Unix()}
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

// hash64 is a small, fast hash for rowDigest: the digest is compared only
// with another row's of the same report.
func hash64(s string) uint64 {
	return hashBytes(unsafe.Slice(unsafe.StringData(s), len(s)))
}

func hashBytes(b []byte) uint64 {
	const m = 0x9E3779B97F4A7C15
	h := uint64(len(b)) * m
	for len(b) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(b)) * m
		h ^= h >> 31
		b = b[8:]
	}
	if len(b) > 0 {
		var tail [8]byte
		copy(tail[:], b)
		h = (h ^ binary.LittleEndian.Uint64(tail[:])) * m
	}
	return h ^ h>>29
}

// fingerprint hashes a short string (a region, a service) with two loads:
// the first and the last bytes together cover a string of up to 16.
func fingerprint(s string) uint64 {
	const m = 0x9E3779B97F4A7C15
	n := len(s)
	var a, b uint64
	switch {
	case n > 16:
		return hash64(s)
	case n >= 8:
		a, b = binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s), 8)), binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[n-8:]), 8))
	case n >= 4:
		a, b = uint64(binary.LittleEndian.Uint32(unsafe.Slice(unsafe.StringData(s), 4))), uint64(binary.LittleEndian.Uint32(unsafe.Slice(unsafe.StringData(s[n-4:]), 4)))
	case n > 0:
		a = uint64(s[0])<<16 | uint64(s[n>>1])<<8 | uint64(s[n-1])
	}
	h := (a ^ uint64(n)<<58) * m
	h = (h ^ b) * m
	return h ^ h>>29
}

// nameHash is the hash lowerInto gives a lower-case name.
func nameHash(lower string) uint64 {
	var buf [64]byte
	_, h := lowerInto(&buf, lower)
	return h
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

// useMemo gives each last-used region and service value of a report an
// identity, and checks each distinct value once: a report has a handful,
// over thousands of rows. A valid value's identity is its slot (or, when
// its slot holds another value, its fingerprint marked useUnkept); an
// invalid value's is its fingerprint, marked useInvalid. Either way equal
// values have equal identities, which is all the row digests need.
//
// A value of up to 16 bytes (every region and nearly every service) is
// held as its first and last eight bytes and its length, which together
// are the value, so that a lookup compares three integers, in one slot: it
// runs for every key used in every row.
type useMemo struct {
	slots [256]struct {
		a, b    uint64
		n       int32 // 0 for an empty slot
		service bool
	}
	used bool
}

const (
	useInvalid = 1 << 31
	useUnkept  = 1 << 30 // valid, but not in its slot
)

// lenMask keeps the first n bytes of a word.
var lenMask = func() (t [9]uint64) {
	for n := range t {
		t[n] = 1<<(8*n) - 1
	}
	t[8] = ^uint64(0)
	return t
}()

// words is a string of up to 16 bytes as two words that are the string:
// the first eight bytes and the last eight, overlapping, or for a shorter
// string its bytes, gathered without a branch on its length.
func words(s string) (a, b uint64) {
	n := len(s)
	if n >= 8 {
		return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s), 8)), binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[n-8:]), 8))
	}
	if n == 0 {
		return 0, 0
	}
	l := n - 1
	a = uint64(s[0]) | uint64(s[min(1, l)])<<8 | uint64(s[min(2, l)])<<16 | uint64(s[min(3, l)])<<24 |
		uint64(s[min(4, l)])<<32 | uint64(s[min(5, l)])<<40 | uint64(s[min(6, l)])<<48
	return a & lenMask[n], 0
}

func (m *useMemo) id(s string, service bool) uint32 {
	const k = 0x9E3779B97F4A7C15
	a, b := words(s)
	n := int32(len(s))
	i := (((a^uint64(n))*k ^ b) * k) >> 56
	if e := &m.slots[i]; e.a == a && e.b == b && e.n == n && e.service == service && n <= 16 {
		return uint32(i) + 1
	}
	return m.miss(s, service, a, b, n, i)
}

// miss checks a value not in its slot, and keeps it there if it is valid
// and the slot is free.
func (m *useMemo) miss(s string, service bool, a, b uint64, n int32, i uint64) uint32 {
	valid := validRegion(s)
	if service {
		valid = validService(s)
	}
	e := &m.slots[i]
	switch {
	case !valid:
		return uint32(fingerprint(s)) | useInvalid
	case e.n != 0 || n == 0 || n > 16:
		return uint32(fingerprint(s))&^useInvalid | useUnkept
	}
	e.a, e.b, e.n, e.service = a, b, n, service
	m.used = true
	return uint32(i) + 1
}

func (m *useMemo) reset() {
	if m.used {
		*m = useMemo{}
	}
}
