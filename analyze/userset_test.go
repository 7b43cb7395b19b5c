package analyze

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestUserSet checks the set against a plain map, for sorted names (the
// fast path), shuffled ones (the index) and sorted ones with an
// out-of-order row in the middle (the switch from one to the other).
func TestUserSet(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := []string{"a", "A", "b", "B,c", "_x", "=1", "z", "Zz", "zz", "m.n", "@t", "-x", "+o"}
	var names []string
	for range 400 {
		names = append(names, base[r.IntN(len(base))]+strings.Repeat("q", r.IntN(3)))
	}
	sorted := append([]string(nil), names...)
	sortFold(sorted)
	bump := append(append(append([]string(nil), sorted[:200]...), "a"), sorted[200:]...)
	shuffled := append([]string(nil), names...)
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for name, list := range map[string][]string{"sorted": sorted, "one out of order": bump, "shuffled": shuffled} {
		t.Run(name, func(t *testing.T) {
			var s userSet
			want := map[string]int{}
			entries := map[string]int{}
			for i, n := range list {
				line := i + 2
				first, ok := want[strings.ToLower(n)]
				if !ok {
					want[strings.ToLower(n)] = line
					entries[strings.ToLower(n)] = len(entries)
				}
				a := s.add(n, line)
				if a.first != first || a.entry != entries[strings.ToLower(n)] {
					t.Fatalf("row %d (%q): first at %d, entry %d; want %d, %d", i, n, a.first, a.entry, first, entries[strings.ToLower(n)])
				}
				if a.hash != nameHash(strings.ToLower(n)) {
					t.Fatalf("row %d (%q): hash %x, want that of the lower-case name", i, n, a.hash)
				}
				upper := uint64(0)
				for j, c := range []byte(n) {
					if 'A' <= c && c <= 'Z' {
						upper |= 1 << j
					}
				}
				if a.upper != upper {
					t.Fatalf("row %d (%q): upper %b, want %b", i, n, a.upper, upper)
				}
			}
			s.reset()
			if a := s.add("a", 2); a.first != 0 || a.entry != 0 {
				t.Errorf("after reset, add = %+v", a)
			}
		})
	}
}

func sortFold(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && strings.ToLower(s[j]) < strings.ToLower(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
