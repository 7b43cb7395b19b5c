package analyze

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCG(t *testing.T) {
	files, _ := filepath.Glob("/tmp/cr/batch/*.csv")
	var datas [][]byte
	for _, f := range files[:20] {
		d, _ := os.ReadFile(f)
		datas = append(datas, d)
	}
	opts := Options{SetupWindow: time.Hour}
	for _, data := range datas {
		rep := Report{Source: "r.csv"}
		pr := problems{source: "r.csv"}
		p := &reportParser{rep: &rep, opts: &opts, pr: &pr, seen: userSets.Get().(*userSet)}
		cgParse(p, data)
		p.seen.reset()
		userSets.Put(p.seen)
	}
}

//go:noinline
func cgParse(p *reportParser, data []byte) { p.parse(bytes.NewReader(data)) }
