package analyze

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"unicode"
)

// readEnvelope reads an envelope with the streaming reader and returns
// the decoded Content and GeneratedTime.
func readEnvelope(data []byte) (content []byte, generated string, err error) {
	e := &jsonEnvelope{r: bufio.NewReader(bytes.NewReader(data)), name: "x"}
	err = e.read(func(r io.Reader) error {
		var rerr error
		content, rerr = io.ReadAll(r)
		return rerr
	})
	return content, stamp(e.generated), err
}

// referenceEnvelope is what encoding/json makes of an envelope, as
// credreview read it before it streamed: Content with all white space
// removed, then base64-decoded.
func referenceEnvelope(data []byte) (content []byte, generated string, ok bool) {
	var env struct {
		Content       *string
		ReportFormat  *string
		GeneratedTime *string
	}
	if json.Unmarshal(data, &env) != nil || env.Content == nil || env.ReportFormat != nil && *env.ReportFormat != "text/csv" {
		return nil, "", false
	}
	content, err := base64.StdEncoding.DecodeString(strings.Join(strings.FieldsFunc(*env.Content, unicode.IsSpace), ""))
	if err != nil {
		return nil, "", false
	}
	if env.GeneratedTime != nil {
		sec, err := parseStamp(*env.GeneratedTime)
		if err != nil {
			return nil, "", false
		}
		generated = stamp(unix(sec))
	}
	return content, generated, true
}

// TestEnvelopeForms pins that the streaming reader reads what encoding/json
// reads, in the forms a JSON writer may use.
func TestEnvelopeForms(t *testing.T) {
	csv := report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")))
	b64 := base64.StdEncoding.EncodeToString([]byte(csv))
	wrapped := ""
	for i := 0; i < len(b64); i += 76 {
		wrapped += b64[i:min(i+76, len(b64))] + `\n`
	}
	for name, data := range map[string]string{
		"as the CLI prints it":       envelope(csv, "2026-11-20T12:00:00+00:00"),
		"GeneratedTime first":        `{"GeneratedTime": "2026-11-20T12:00:00Z", "ReportFormat": "text/csv", "Content": "` + b64 + `"}`,
		"escaped slashes":            `{"Content": "` + strings.ReplaceAll(b64, "/", `\/`) + `", "GeneratedTime": "2026-11-20T12:00:00Z"}`,
		"line-wrapped base64":        `{"Content": "` + wrapped + `"}`,
		"unicode escapes":            `{"Content": "` + strings.ReplaceAll(b64, "A", `\u0041`) + `"}`,
		"other members":              `{"ResponseMetadata": {"RequestId": "x", "Retry": [1, 2.5e3, -0, true, null, {"a": "\"}"}]}, "Content": "` + b64 + `", "Extra": "x"}`,
		"lower-case keys":            `{"content": "` + b64 + `", "generatedtime": "2026-11-20T12:00:00Z"}`,
		"null GeneratedTime":         `{"Content": "` + b64 + `", "GeneratedTime": null}`,
		"compact, no white space":    `{"Content":"` + b64 + `","ReportFormat":"text/csv"}`,
		"white space everywhere":     "\n\t{ \"Content\" :\r\n \"" + b64 + "\" ,\n\"GeneratedTime\" : \"2026-11-20T12:00:00Z\" }\n\n",
		"null Content, then Content": `{"Content": null, "Content": "` + b64 + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			got, gen, err := readEnvelope([]byte(data))
			want, wantGen, ok := referenceEnvelope([]byte(data))
			if !ok {
				t.Fatal("encoding/json does not read it: a broken test")
			}
			if err != nil || !bytes.Equal(got, want) || gen != wantGen {
				t.Errorf("got %q, %q, %v\nwant %q, %q", got, gen, err, want, wantGen)
			}
		})
	}
}

// FuzzEnvelope holds the streaming reader to encoding/json: what the one
// reads, the other reads the same; what encoding/json rejects, so does it.
func FuzzEnvelope(f *testing.F) {
	csv := report(rootRow, row("alice", key(1, true, "2025-01-01T00:00:04+00:00", "")))
	f.Add([]byte(envelope(csv, "2026-11-20T12:00:00+00:00")))
	f.Add([]byte(`{"X": [1, {"y": "\u00e9"}], "Content": "dXNlcg==", "ReportFormat": "text/csv"}`))
	f.Add([]byte(`{"Content": "dX\/Ng==\n"}`))
	f.Add([]byte(`{"Content": 1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, gen, err := readEnvelope(data)
		want, wantGen, ok := referenceEnvelope(data)
		var p *Problem
		if err != nil && (!strings.HasPrefix(err.Error(), "x: ") || !asProblem(err, &p)) {
			t.Fatalf("error %v is not a Problem of the file", err)
		}
		switch {
		case ok && err != nil:
			// Where credreview is stricter, on purpose.
			for _, why := range []string{"two Content members", "nested more than 64 deep", "Content is not valid base64"} {
				if strings.Contains(err.Error(), why) {
					return
				}
			}
			if bytes.ContainsFunc(data, func(r rune) bool { return r >= 0x80 }) {
				return // non-ASCII white space in Content, which no base64 has
			}
			t.Fatalf("encoding/json reads %q, the streaming reader says %v", data, err)
		case ok && (!bytes.Equal(got, want) || gen != wantGen):
			t.Fatalf("%q: got %q, %q; encoding/json %q, %q", data, got, gen, want, wantGen)
		case !ok && err == nil:
			t.Fatalf("encoding/json rejects %q, the streaming reader reads %q", data, got)
		}
	})
}

func asProblem(err error, p **Problem) bool {
	q, ok := err.(*Problem)
	*p = q
	return ok
}
