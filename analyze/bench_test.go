package analyze

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
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

// BenchmarkParse compares reading the batch's reports, one goroutine, with
// a bare encoding/csv read loop over the same bytes (the reference of the
// "within 1.5x" target), and with every line sent through encoding/csv and
// gocsv.
func BenchmarkParse(b *testing.B) {
	b.Run("encoding-csv-loop", func(b *testing.B) {
		files := benchBatch(b)
		for b.Loop() {
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
	})
	for _, slow := range []bool{false, true} {
		name := "credreview"
		if slow {
			name = "credreview-gocsv-only"
		}
		b.Run(name, func(b *testing.B) {
			files := benchBatch(b)
			opts := Options{SetupWindow: time.Hour}
			for b.Loop() {
				for _, data := range files {
					rep := Report{Source: "r.csv"}
					pr := problems{source: "r.csv"}
					p := &reportParser{rep: &rep, opts: &opts, pr: &pr, slowOnly: slow, seen: userSets.Get().(*userSet)}
					if err := p.parse(bytes.NewReader(data)); err != nil || len(pr.errors) > 0 {
						b.Fatal(err, pr.errors)
					}
					p.seen.reset()
					userSets.Put(p.seen)
				}
			}
		})
	}
}
