package analyze

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzAnalyze feeds arbitrary bytes to the reader of every input kind. It
// must never panic; every finding must be for a legal user name, whose
// commands name it; and reading the same bytes twice gives the same result.
func FuzzAnalyze(f *testing.F) {
	for _, dir := range []string{"../samples"} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(report(rootRow, row("a,b", merge(key(1, true, "2025-01-01T00:00:04Z", ""), map[string]string{"arn": "arn:aws:iam::123456789012:user/a,b"})))))
	f.Add([]byte(inventory(entry("alice", idA, "Active", "2025-01-01T00:00:04Z"))))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{SetupWindow: time.Hour}
		res := Analyze(context.Background(), []string{"-"}, bytes.NewReader(data), opts)
		for _, fd := range res.Findings {
			if !ValidUserName(fd.User) {
				t.Fatalf("finding for illegal user name %q", fd.User)
			}
			for _, c := range append(append(fd.Commands().Test, fd.Commands().Implement...), fd.Commands().Backout...) {
				if strings.HasPrefix(c, "# ") || strings.HasPrefix(c, "aws iam get-access-key-last-used") {
					continue // a comment, or a command that names only the key
				}
				arg := string(appendUserArg(nil, fd.User))
				if !strings.Contains(c, arg+" ") && !strings.HasSuffix(c, arg) {
					t.Fatalf("command does not name user %q: %s", fd.User, c)
				}
			}
			if d := fd.SecondsAfterUserCreated(); d < 0 || d > 3600 {
				t.Fatalf("finding %d s after its user, outside the window", d)
			}
		}
		again := Analyze(context.Background(), []string{"-"}, bytes.NewReader(data), opts)
		if !reflect.DeepEqual(res, again) {
			t.Fatal("two analyses of the same bytes differ")
		}
	})
}

// FuzzUnquotedCommas checks the round trip of the comma repair: a row whose
// user name and path have commas, written unquoted as AWS writes it, reads
// back as exactly that name and ARN.
func FuzzUnquotedCommas(f *testing.F) {
	f.Add("a,b", "/")
	f.Add(",", "/x,y/")
	f.Add("=1,+2", "/a/b/")
	f.Fuzz(func(t *testing.T, name, path string) {
		name = legalOnly(name)
		if !ValidUserName(name) {
			return
		}
		path = "/" + strings.Trim(legalOnly(path), "/") + "/"
		path = strings.ReplaceAll(path, "//", "/")
		arn := "arn:aws:iam::123456789012:user" + path + name
		r := row(name, merge(key(1, true, "2025-01-01T00:00:04+00:00", ""), map[string]string{"arn": arn}))
		res := Analyze(context.Background(), []string{"-"}, strings.NewReader(report(rootRow, r)), Options{SetupWindow: time.Hour})
		if len(res.Errors) > 0 {
			t.Fatalf("user %q arn %q: %v", name, arn, problemLines(res.Errors))
		}
		if len(res.Findings) != 1 || res.Findings[0].User != name || res.Findings[0].ARN != arn {
			t.Fatalf("user %q arn %q: findings %+v", name, arn, res.Findings)
		}
	})
}

func legalOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if nameByte(s[i]) || s[i] == '/' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
