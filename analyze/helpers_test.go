package analyze

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// hour is the default options: a one-hour setup window.
var hour = Options{SetupWindow: time.Hour}

// header is the 22 columns AWS writes today.
const header = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
	"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
	"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
	"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"

var columns = strings.Split(header, ",")

const rootRow = "<root_account>,arn:aws:iam::123456789012:root,2019-01-01T00:00:00+00:00,not_supported,2026-01-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"

// row writes a report row for user: a console user created
// 2025-01-01T00:00:00+00:00 with no keys, changed by set (column -> value).
func row(user string, set map[string]string) string {
	v := map[string]string{
		"user": user, "arn": "arn:aws:iam::123456789012:user/" + user, "user_creation_time": "2025-01-01T00:00:00+00:00",
		"password_enabled": "true", "password_last_used": "2026-01-01T00:00:00+00:00", "password_last_changed": "2025-01-01T00:00:00+00:00",
		"password_next_rotation": "N/A", "mfa_active": "false",
		"access_key_1_active": "false", "access_key_1_last_rotated": "N/A", "access_key_1_last_used_date": "N/A",
		"access_key_1_last_used_region": "N/A", "access_key_1_last_used_service": "N/A",
		"access_key_2_active": "false", "access_key_2_last_rotated": "N/A", "access_key_2_last_used_date": "N/A",
		"access_key_2_last_used_region": "N/A", "access_key_2_last_used_service": "N/A",
		"cert_1_active": "false", "cert_1_last_rotated": "N/A", "cert_2_active": "false", "cert_2_last_rotated": "N/A",
	}
	for k, val := range set {
		if _, ok := v[k]; !ok {
			panic("no column " + k)
		}
		v[k] = val
	}
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = v[c]
	}
	return strings.Join(out, ",")
}

// key sets key slot n: active, created at rotated, last used at used ("" for never).
func key(n int, active bool, rotated, used string) map[string]string {
	p := "access_key_" + string(rune('0'+n)) + "_"
	m := map[string]string{p + "active": "false", p + "last_rotated": rotated, p + "last_used_date": "N/A"}
	if active {
		m[p+"active"] = "true"
	}
	if used != "" {
		m[p+"last_used_date"] = used
		m[p+"last_used_region"] = "us-east-1"
		m[p+"last_used_service"] = "s3"
	}
	return m
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func report(rows ...string) string {
	return header + "\n" + strings.Join(rows, "\n")
}

// analyzeFiles writes files (name -> content) to a directory and analyses
// them in name order.
func analyzeFiles(t *testing.T, files map[string]string, opts Options) *Result {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	sort.Strings(paths)
	res := Analyze(context.Background(), paths, nil, opts)
	// Strip the temporary directory from sources, so tests read plainly.
	strip := func(s *string) { *s = strings.TrimPrefix(*s, dir+string(filepath.Separator)) }
	for i := range res.Reports {
		strip(&res.Reports[i].Source)
		strip(&res.Reports[i].SupersededBy)
	}
	for i := range res.Superseded {
		strip(&res.Superseded[i].Source)
		strip(&res.Superseded[i].SupersededBy)
	}
	for i := range res.Inventories {
		strip(&res.Inventories[i].Source)
	}
	for i := range res.Findings {
		strip(&res.Findings[i].Source)
		res.Findings[i].KeyIDNote = strings.ReplaceAll(res.Findings[i].KeyIDNote, dir+string(filepath.Separator), "")
		for j := range res.Findings[i].Notes {
			res.Findings[i].Notes[j] = strings.ReplaceAll(res.Findings[i].Notes[j], dir+string(filepath.Separator), "")
		}
	}
	for _, ps := range [][]Problem{res.Errors, res.Warnings} {
		for i := range ps {
			strip(&ps[i].Source)
			ps[i].Message = strings.ReplaceAll(ps[i].Message, dir+string(filepath.Separator), "")
		}
	}
	return res
}

func analyzeOne(t *testing.T, content string, opts Options) *Result {
	t.Helper()
	return analyzeFiles(t, map[string]string{"r.csv": content}, opts)
}

// problemLines writes problems as "source:line: message" for comparison.
func problemLines(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Error())
	}
	return out
}

func containsAll(t *testing.T, what string, got []string, want []string) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, g := range got {
			if strings.Contains(g, w) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s: no line contains %q; got:\n%s", what, w, strings.Join(got, "\n"))
		}
	}
}

// update is accepted so that go test ./... -update works across packages;
// this package's outputs are pinned by table tests, not golden files.
var _ = flag.Bool("update", false, "rewrite golden files (none in this package)")

// readChecked reads a report's bytes through the parser and the checks its
// options name, as readReport does a stream.
func readChecked(p *reportParser, data []byte) ([]Finding, error) {
	c := newChecker(p.rep, p.opts)
	for r := range p.rows(bytes.NewReader(data)) {
		c.add(r)
	}
	p.finish()
	return c.finish(), p.err
}
