package analyze

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"sync"
	"unsafe"
)

// userSet remembers the users of one report, ignoring case, to find rows
// that repeat a user. It keeps the names in one byte arena rather than a map
// of strings: no allocation per row, and the row's strings, which point into
// the read buffer, are never kept.
//
// AWS sorts a report's users ignoring case, so while each name comes after
// the one before, a repeat can only be of the row just before and no lookup
// is needed. The first name out of order (a hand-edited file) builds a hash
// index of the names so far, and from then on every name is looked up.
// Either way the answer is the same; order only decides the cost.
type userSet struct {
	ents  []userEnt
	names []byte

	// What the report keeps of its rows, here to be recycled with the set:
	// the digest of each user's first row, by entry; the newest time of
	// each repeated row and root row, then (see reportParser.derive) of
	// every checked row.
	digests []rowDigest
	times   []rowTime
	use     useMemo

	prev int  // entry of the previous row's name, -1 for none
	hash bool // the index is in use

	seed  maphash.Seed
	index map[uint64]int32 // hash of a lower-cased name -> 1 + first entry with it
}

type userEnt struct {
	line, off, n int32
	next         int32 // 1 + next entry with the same hash, or 0
}

func (s *userSet) name(e int) []byte {
	return s.names[s.ents[e].off : s.ents[e].off+s.ents[e].n]
}

// added is what add says of a user's row.
type added struct {
	first int // the line of an earlier row of the same user, or 0
	entry int // the entry of the user's first row: users numbered from 0 as they first appear

	// hash is of the name ignoring case; upper marks the positions of its
	// upper-case letters. Two names equal ignoring case are equal exactly
	// when their upper marks are: names have at most 64 bytes.
	hash, upper uint64
}

// add records a user's row.
func (s *userSet) add(name string, line int) added {
	var buf [64]byte
	var a added
	a.upper, a.hash = lowerInto(&buf, name)
	lower := buf[:len(name)]
	if !s.hash {
		if len(s.ents) > 0 {
			switch c := bytes.Compare(lower, s.name(s.prev)); {
			case c == 0:
				a.first, a.entry = int(s.ents[s.prev].line), s.prev
				return a
			case c < 0: // out of order: look names up from now on
				s.startIndex()
				a.first, a.entry = s.lookup(lower, line)
				return a
			}
		}
		s.prev = s.append(lower, line, 0)
		a.entry = s.prev
		return a
	}
	a.first, a.entry = s.lookup(lower, line)
	return a
}

// lowerInto writes a name lower-cased into buf (legal names are ASCII and
// at most 64 bytes), and returns the positions of its upper-case letters
// and the hash of the lower-cased name. It works on eight bytes at a time,
// loaded from the name itself: every row of every report passes here.
func lowerInto(buf *[64]byte, name string) (upper, hash uint64) {
	const ones, highs, m = 0x0101010101010101, 0x8080808080808080, 0x9E3779B97F4A7C15
	n := len(name)
	hash = uint64(n) * m
	for i := 0; i < n; i += 8 {
		var w uint64
		if i+8 <= n {
			w = binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(name[i:]), 8))
		} else {
			for j := n - 1; j >= i; j-- { // the last, short word, zero-filled
				w = w<<8 | uint64(name[j])
			}
		}
		// The high bit of each byte from 'A' to 'Z': bytes are below 0x80.
		up := (w + (0x80-'A')*ones) &^ (w + (0x80-'Z'-1)*ones) & highs
		w |= up >> 2 // 0x80 >> 2 is the 0x20 that lower-cases a letter
		binary.LittleEndian.PutUint64(buf[i:], w)
		upper |= ((up >> 7) * 0x0102040810204080 >> 56) << i
		hash = (hash ^ w) * m
		hash ^= hash >> 31
	}
	return upper, hash ^ hash>>29
}

// bit8 is 1 for true, 0 for false: the compiler makes this a move, with
// no branch.
func bit8(b bool) uint8 {
	var x uint8
	if b {
		x = 1
	}
	return x
}

func (s *userSet) append(lower []byte, line int, next int32) int {
	s.ents = append(s.ents, userEnt{line: int32(line), off: int32(len(s.names)), n: int32(len(lower)), next: next})
	s.names = append(s.names, lower...)
	return len(s.ents) - 1
}

func (s *userSet) startIndex() {
	s.hash = true
	if s.index == nil {
		s.seed = maphash.MakeSeed()
		s.index = map[uint64]int32{}
	}
	for e := range s.ents {
		h := maphash.Bytes(s.seed, s.name(e))
		s.ents[e].next = s.index[h]
		s.index[h] = int32(e + 1)
	}
}

func (s *userSet) lookup(lower []byte, line int) (first, entry int) {
	h := maphash.Bytes(s.seed, lower)
	head := s.index[h]
	for e := head; e != 0; e = s.ents[e-1].next {
		if bytes.Equal(s.name(int(e-1)), lower) {
			return int(s.ents[e-1].line), int(e - 1)
		}
	}
	entry = s.append(lower, line, head)
	s.index[h] = int32(len(s.ents))
	return 0, entry
}

// reset empties the set, keeping its memory for the next report.
func (s *userSet) reset() {
	clear(s.index)
	s.ents = s.ents[:0]
	s.names = s.names[:0]
	s.digests = s.digests[:0]
	s.times = s.times[:0]
	s.use.reset()
	s.prev, s.hash = 0, false
}

// userSets recycles sets between reports.
var userSets = sync.Pool{New: func() any { return &userSet{} }}

// userList is the users of a report, as its userSet had them: kept so that
// a newer report of the same account can be held to the older one (see
// supersede), in a few bytes per user rather than a string each.
type userList struct {
	names []byte   // lower-cased, back to back
	ends  []int32  // where each name ends in names
	upper []uint64 // the positions of each name's upper-case letters
}

// list copies the set's users, each as its first row named it.
func (s *userSet) list() userList {
	l := userList{names: bytes.Clone(s.names), ends: make([]int32, len(s.ents)), upper: make([]uint64, len(s.ents))}
	for e := range s.ents {
		l.ends[e] = s.ents[e].off + s.ents[e].n
		if e < len(s.digests) {
			l.upper[e] = s.digests[e].user
		}
	}
	return l
}

func (l *userList) len() int { return len(l.ends) }

// lower is user i's name, lower-cased.
func (l *userList) lower(i int) string {
	start := int32(0)
	if i > 0 {
		start = l.ends[i-1]
	}
	return string(l.names[start:l.ends[i]])
}

// name is user i's name as the report wrote it.
func (l *userList) name(i int) string {
	b := []byte(l.lower(i))
	for j := range b {
		if l.upper[i]>>j&1 != 0 {
			b[j] -= 'a' - 'A'
		}
	}
	return string(b)
}
