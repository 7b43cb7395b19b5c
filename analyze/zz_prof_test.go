package analyze

import (
	"context"
	"testing"
	"time"
)

func BenchmarkAnalyzeBatch(b *testing.B) {
	for b.Loop() {
		res := Analyze(context.Background(), []string{"/tmp/cr/batch"}, nil, Options{SetupWindow: time.Hour})
		if len(res.Errors) > 0 {
			b.Fatal(res.Errors[0])
		}
	}
}
