package formats

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/credreview/credreview/analyze"
)

func BenchmarkBatchJSON(b *testing.B) {
	for b.Loop() {
		res := analyze.Analyze(context.Background(), []string{"/tmp/batch"}, nil, analyze.Options{SetupWindow: time.Hour})
		if err := (JSON{}).Write(io.Discard, &Review{Tool: testTool, Result: res}); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkBatchAnalyze(b *testing.B) {
	for b.Loop() {
		analyze.Analyze(context.Background(), []string{"/tmp/batch"}, nil, analyze.Options{SetupWindow: time.Hour})
	}
}
