package analyze

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/credreview/credreview/internal/batch"
)

var (
	batchOnce  sync.Once
	batchFiles [][]byte
	batchSize  int64
	batchErr   error
)

// benchBatch generates the benchmark batch (100 accounts of 5,000 users)
// once, and holds its files in memory so that reading them costs nothing.
func benchBatch(b *testing.B) [][]byte {
	b.Helper()
	batchOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "credreview-bench-batch")
		bt, err := batch.Generate(dir, 100, 5000)
		if err != nil {
			batchErr = err
			return
		}
		for _, f := range bt.Files {
			data, err := os.ReadFile(f)
			if err != nil {
				batchErr = err
				return
			}
			batchFiles = append(batchFiles, data)
			batchSize += int64(len(data))
		}
	})
	if batchErr != nil {
		b.Fatal(batchErr)
	}
	b.SetBytes(batchSize)
	return batchFiles
}

// csvLoop is the reference of the parsing target: a bare encoding/csv read
// loop over the same bytes.
func csvLoop(b *testing.B, files [][]byte) {
	for _, data := range files {
		r := csv.NewReader(bytes.NewReader(data))
		r.ReuseRecord = true
		r.FieldsPerRecord = -1 // names with unquoted commas
		for {
			if _, err := r.Read(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func parseAll(b *testing.B, files [][]byte, slow bool) {
	opts := Options{SetupWindow: time.Hour}
	for _, data := range files {
		rep := Report{Source: "r.csv"}
		pr := problems{source: "r.csv"}
		p := newReportParser(&rep, &opts, &pr)
		p.slowOnly, p.seen = slow, userSets.Get().(*userSet)
		if _, err := readChecked(p, data); err != nil || len(pr.errors) > 0 {
			b.Fatal(err, pr.errors)
		}
		p.seen.reset()
		userSets.Put(p.seen)
	}
}

// BenchmarkParse reads the batch's reports in one goroutine, every check
// included, and reports the ratio to a bare encoding/csv read loop over the
// same bytes, timed in the same run: the target is at most 1.5.
func BenchmarkParse(b *testing.B) {
	files := benchBatch(b)
	var ref []time.Duration
	for range 5 {
		start := time.Now()
		csvLoop(b, files)
		ref = append(ref, time.Since(start))
	}
	slices.Sort(ref)
	b.ResetTimer()
	for b.Loop() {
		parseAll(b, files, false)
	}
	ours := b.Elapsed() / time.Duration(b.N)
	ratio := ours.Seconds() / ref[2].Seconds()
	b.ReportMetric(ratio, "x-of-encoding-csv")
	verdict := "met"
	if ratio > 1.5 {
		verdict = "MISSED"
		b.Errorf("parsing takes %.2f× a bare encoding/csv loop; the target is 1.5×", ratio)
	}
	b.Logf("parsing %.3f s, a bare encoding/csv loop %.3f s (median of 5): %.2f× (target ≤ 1.5×: %s)", ours.Seconds(), ref[2].Seconds(), ratio, verdict)
}

// BenchmarkParsePaths shows each path alone: the bare loop, credreview, and
// credreview with every line through encoding/csv and gocsv.
func BenchmarkParsePaths(b *testing.B) {
	b.Run("encoding-csv-loop", func(b *testing.B) {
		files := benchBatch(b)
		for b.Loop() {
			csvLoop(b, files)
		}
	})
	b.Run("credreview", func(b *testing.B) {
		files := benchBatch(b)
		for b.Loop() {
			parseAll(b, files, false)
		}
	})
	b.Run("credreview-gocsv-only", func(b *testing.B) {
		files := benchBatch(b)
		for b.Loop() {
			parseAll(b, files, true)
		}
	})
}
