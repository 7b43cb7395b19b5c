package cli

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// MemoryLimit is the soft memory limit main sets for a run, unless
// GOMEMLIMIT does.
const MemoryLimit = 100 << 20

// RelaxGC raises the soft memory limit above what the analysis keeps, once
// it is done: the findings stay live while the outputs are written, and a
// limit below them would have the collector run without pause (a batch of
// 190,000 findings took twice as long). The limit stays at MemoryLimit for
// a batch whose findings fit in it.
func RelaxGC() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	runtime.GC() // what is live now, and the analysis's garbage gone
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	if limit := int64(s[0].Value.Uint64()) + 64<<20; limit > MemoryLimit {
		debug.SetMemoryLimit(limit)
	}
}
