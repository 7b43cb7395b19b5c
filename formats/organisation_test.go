package formats

import (
	"bytes"
	"testing"
)

// organisation is the samples' review split per account, each package
// with the default formats.
func organisation(t *testing.T) *Organisation {
	t.Helper()
	whole := review(t, "samples")
	o := &Organisation{Whole: whole}
	for _, sub := range SplitReview(whole) {
		p := Package{Account: sub.Account(), Review: sub}
		for _, f := range []string{"xlsx", "md", "json"} {
			p.Files = append(p.Files, sub.Account()+"/credential-review."+f)
		}
		o.Packages = append(o.Packages, p)
	}
	return o
}

func TestOrganisationGolden(t *testing.T) {
	o := organisation(t)
	var md, xlsx []byte
	for _, w := range []struct {
		f   OrganisationFormat
		out *[]byte
	}{{Markdown{}, &md}, {XLSX{}, &xlsx}} {
		var b bytes.Buffer
		if err := w.f.WriteOrganisation(&b, o); err != nil {
			t.Fatal(err)
		}
		*w.out = b.Bytes()
	}
	golden(t, "organisation.md", md)
	golden(t, "organisation.xlsx.txt", []byte(dumpXLSX(t, xlsx)))
}
