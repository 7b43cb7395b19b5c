package formats

import (
	"bytes"
	"testing"

	"github.com/credreview/credreview/analyze"
)

// FuzzReadReview holds the reader of a review's JSON to its promise: it
// never panics, and whatever it accepts holds only findings credreview could
// have written.
func FuzzReadReview(f *testing.F) {
	var b bytes.Buffer
	if err := (JSON{}).Write(&b, review(f, "samples")); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte(`{"schema_version": 3, "review_id": "CR-1", "findings": []}`))
	f.Add([]byte(`{"findings": [{"id": "SK-1"}], "schema_version": 1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadReview(&jsonBound{r: bytes.NewReader(data)})
		if err != nil {
			return
		}
		for i := range r.Findings {
			if bad := analyze.ValidFinding(&r.Findings[i]); bad != "" {
				t.Fatalf("finding %d accepted with a bad %s", i, bad)
			}
		}
	})
}

// FuzzReadApproved holds the reader of a decided workbook to its promise:
// it never panics, and what it accepts holds only findings credreview could
// have written, with decisions from the list.
func FuzzReadApproved(f *testing.F) {
	f.Add(render(f, XLSX{}, review(f, "samples")))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, _, err := ReadApproved(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := range r.Findings {
			if bad := analyze.ValidFinding(&r.Findings[i]); bad != "" {
				t.Fatalf("finding %d accepted with a bad %s", i, bad)
			}
		}
		for id, d := range r.Decisions {
			switch d.Value {
			case "", "Approve", "Reject", "Defer":
			default:
				t.Fatalf("%s: decision %q", id, d.Value)
			}
		}
	})
}
