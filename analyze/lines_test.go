package analyze

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestCSVColumns keeps csvColumns, fields and the csv tags in step: the fast
// path and gocsv must fill the same field from the same column.
func TestCSVColumns(t *testing.T) {
	var r csvRow
	typ := reflect.TypeOf(r)
	if typ.NumField() != len(csvColumns) {
		t.Fatalf("csvRow has %d fields, csvColumns %d", typ.NumField(), len(csvColumns))
	}
	ptrs := r.fields()
	v := reflect.ValueOf(&r).Elem()
	for i := range typ.NumField() {
		if tag := typ.Field(i).Tag.Get("csv"); tag != csvColumns[i] {
			t.Errorf("field %s has tag %q, csvColumns[%d] is %q", typ.Field(i).Name, tag, i, csvColumns[i])
		}
		if ptrs[i] != v.Field(i).Addr().Interface().(*string) {
			t.Errorf("fields()[%d] is not field %s", i, typ.Field(i).Name)
		}
	}
}

// parseWith reads a report with the fast path on or off.
func parseWith(data []byte, slowOnly bool) (Report, []Finding, problems, error) {
	rep := Report{Source: "r.csv"}
	pr := problems{source: "r.csv"}
	p := newReportParser(&rep, &Options{SetupWindow: hour.SetupWindow}, &pr)
	p.slowOnly = slowOnly
	findings, err := readChecked(p, data)
	return rep, findings, pr, err
}

func sameBothWays(t *testing.T, data []byte) {
	t.Helper()
	r1, f1, p1, e1 := parseWith(data, false)
	r2, f2, p2, e2 := parseWith(data, true)
	if !reflect.DeepEqual(e1, e2) {
		t.Fatalf("error: fast path %v, encoding/csv and gocsv %v", e1, e2)
	}
	if !reflect.DeepEqual(r1, r2) {
		t.Fatalf("report: fast path %+v, encoding/csv and gocsv %+v", r1, r2)
	}
	if !reflect.DeepEqual(f1, f2) {
		t.Fatalf("findings: fast path %+v\nencoding/csv and gocsv %+v", f1, f2)
	}
	if !reflect.DeepEqual(p1.errors, p2.errors) || !reflect.DeepEqual(p1.warnings, p2.warnings) {
		t.Fatalf("problems: fast path %v %v\nencoding/csv and gocsv %v %v", p1.errors, p1.warnings, p2.errors, p2.warnings)
	}
}

// TestFastPathReadsAsGocsv pins that the fast path changes nothing: every
// sample and every report the other tests use reads the same through
// encoding/csv and gocsv alone.
func TestFastPathReadsAsGocsv(t *testing.T) {
	for _, f := range []string{"../samples/123456789012.credential-report.csv"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sameBothWays(t, b)
	}
	a := row("a,b", merge(key(1, true, "2025-01-01T00:00:04+00:00", ""), map[string]string{"arn": "arn:aws:iam::123456789012:user/x,y/a,b"}))
	for _, content := range []string{
		report(rootRow, a),
		report(rootRow, a, a),
		report(rootRow, strings.ReplaceAll(a, "a,b,", `"a,b",`)),
		report(rootRow, a+",extra"),
		report(rootRow, "short,row"),
		report(rootRow, `"quoted, field",`+a[4:]),
		report(rootRow, `"open quote`+"\n"+`spans lines",`+a[4:]),
		strings.ReplaceAll(report(rootRow, a), "\n", "\r\n") + "\r",
		report(rootRow, a) + "\n\n\n",
		report(rootRow, row("x", map[string]string{"user_creation_time": "bad"})),
	} {
		sameBothWays(t, []byte(content))
	}
}

// FuzzFastPath checks that the fast path reads what encoding/csv and gocsv
// read, whatever the bytes.
func FuzzFastPath(f *testing.F) {
	if b, err := os.ReadFile("../samples/123456789012.credential-report.csv"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(report(rootRow, row("a,b", merge(key(1, true, "2025-01-01T00:00:04+00:00", ""), map[string]string{"arn": "arn:aws:iam::123456789012:user/a,b"})))))
	f.Add([]byte(header + "\n\"x\",y\r\nz"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sameBothWays(t, data)
	})
}

// FuzzFastPathRows is FuzzFastPath with the header fixed, so that the
// fuzzer spends its time on rows.
func FuzzFastPathRows(f *testing.F) {
	f.Add([]byte(rootRow + "\n" + row("a,b", merge(key(1, true, "2025-01-01T00:00:04+00:00", ""), map[string]string{"arn": "arn:aws:iam::123456789012:user/a,b"}))))
	f.Add([]byte(row("alice", key(2, false, "2025-01-01T00:00:04Z", "2025-02-01T00:00:00Z")) + "\r\n\"q\",x\n"))
	f.Fuzz(func(t *testing.T, rows []byte) {
		sameBothWays(t, append([]byte(header+"\n"), rows...))
	})
}
