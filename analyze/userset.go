package analyze

import (
	"bytes"
	"hash/maphash"
	"sync"
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
	// the digest of each user's first row, by entry, and each checked
	// row's newest time.
	digests []rowDigest
	times   []rowTime

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

// add records a user's row and returns the line of an earlier row of the
// same user, or 0 if this is the first; and the entry of the user's first
// row, which numbers users from 0 in the order they first appear.
func (s *userSet) add(name string, line int) (first, entry int) {
	var buf [64]byte
	lower := buf[:0]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	if !s.hash {
		if len(s.ents) > 0 {
			switch c := bytes.Compare(lower, s.name(s.prev)); {
			case c == 0:
				return int(s.ents[s.prev].line), s.prev
			case c < 0: // out of order: look names up from now on
				s.startIndex()
				return s.lookup(lower, line)
			}
		}
		s.prev = s.append(lower, line, 0)
		return 0, s.prev
	}
	return s.lookup(lower, line)
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
	s.prev, s.hash = 0, false
}

// userSets recycles sets between reports.
var userSets = sync.Pool{New: func() any { return &userSet{} }}
