package analyze

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Stdin is the path that names standard input.
const Stdin = "-"

// input is one file to read: a path, or standard input.
type input struct {
	name string // as given, or as found in a directory walk
	open func() (io.ReadCloser, error)
	// walked is set for a file found in a directory: one that is plainly
	// not a report is skipped with a warning there, where a file named on
	// the command line that is not one is an error.
	walked bool
}

// collect expands the paths given on the command line into inputs: a file
// as is, a directory walked recursively in lexical order (every regular file,
// except hidden ones and credreview's own outputs, which are named in a
// warning), "-" for standard input.
func collect(paths []string, stdin io.Reader, pr *problems) []input {
	var in []input
	usedStdin := false
	for _, p := range paths {
		if p == Stdin {
			if usedStdin {
				pr.errorf(0, "", "standard input (-) can be given only once")
				continue
			}
			usedStdin = true
			in = append(in, input{name: Stdin, open: func() (io.ReadCloser, error) { return io.NopCloser(stdin), nil }})
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			pr.errors = append(pr.errors, Problem{Source: p, Message: describeOpenError(err)})
			continue
		}
		if !fi.IsDir() {
			in = append(in, fileInput(p))
			continue
		}
		in = walk(p, []os.FileInfo{fi}, in, pr)
	}
	return in
}

// walk adds the files of folder dir to in, recursively, in lexical order:
// every regular file, except hidden ones and credreview's own outputs,
// which are named in a warning. It follows symbolic links to files and to
// folders, as find -L does: evidence is often a link to where it is kept.
// A link to a folder it is already inside (a loop) is named in a warning
// and not followed again; a link to nothing is an error, since what it
// named may be the evidence.
func walk(dir string, above []os.FileInfo, in []input, pr *problems) []input {
	entries, err := os.ReadDir(dir)
	if err != nil {
		pr.errors = append(pr.errors, Problem{Source: dir, Message: describeOpenError(err)})
		return in
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		if isManifestFile(name) {
			continue // read as the evidence's manifest, not as an input
		}
		if strings.HasPrefix(name, ".") {
			pr.warnings = append(pr.warnings, Problem{Source: path, Message: "hidden, skipped"})
			continue
		}
		fi, err := os.Stat(path) // follows a link
		switch {
		case err != nil && e.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(path)
			pr.errors = append(pr.errors, Problem{Source: path, Message: fmt.Sprintf("a symbolic link to %s, which is not there (%s): what it named is not read", target, describeOpenError(err)),
				Hint: "copy the evidence itself into the folder, or mend the link"})
			continue
		case err != nil:
			pr.errors = append(pr.errors, Problem{Source: path, Message: describeOpenError(err)})
			continue
		case fi.IsDir():
			if slices.ContainsFunc(above, func(a os.FileInfo) bool { return os.SameFile(a, fi) }) {
				pr.warnings = append(pr.warnings, Problem{Source: path, Message: "a link to a folder it is inside (a loop): not followed again; its files are read once, where the folder is"})
				continue
			}
			in = walk(path, append(above[:len(above):len(above)], fi), in, pr)
			continue
		case !fi.Mode().IsRegular():
			pr.warnings = append(pr.warnings, Problem{Source: path, Message: "not a regular file, skipped"})
			continue
		}
		if IsOutputName(name) {
			pr.warnings = append(pr.warnings, Problem{Source: path, Message: "credreview's own output, skipped"})
			continue
		}
		f := fileInput(path)
		f.walked = true
		in = append(in, f)
	}
	return in
}

// Files lists the files Analyze reads when it is given the folder dir, in
// its order, with what it passes over (warnings) and what it cannot read
// (errors): what a manifest of the folder lists.
func Files(dir string) (files []string, warnings, errors []Problem) {
	var pr problems
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return nil, nil, []Problem{{Source: dir, Message: describeOpenError(err)}}
	case !fi.IsDir():
		return nil, nil, []Problem{{Source: dir, Message: "not a folder"}}
	}
	for _, in := range walk(dir, []os.FileInfo{fi}, nil, &pr) {
		files = append(files, in.name)
	}
	return files, pr.warnings, pr.errors
}

// OutputBase is the name, without extension, of the files credreview writes.
const OutputBase = "credential-review"

// IsOutputName reports whether a file name is one credreview writes, which
// directory walks skip so that a review can be written next to its inputs.
func IsOutputName(name string) bool {
	ext, ok := strings.CutPrefix(name, OutputBase+".")
	return ok && (ext == "md" || ext == "json" || ext == "xlsx" || ext == "sh" || ext == "log" || ext == "exceptions.yaml" ||
		ext == "csv" || ext == "manifest.json" || ext == "manifest.json.sig")
}

func fileInput(path string) input {
	return input{name: path, open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

func describeOpenError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// kind is what an input turned out to be.
type kind int

const (
	kindUnknown kind = iota
	kindReportCSV
	kindReportJSON // the JSON that aws iam get-credential-report prints
	kindInventory  // the JSON that aws iam list-access-keys prints
)

// Caps on one input. Real inputs are far below each; beyond one, an input
// is not what AWS wrote, and reading on would only cost memory and time.
// README.md ("What credreview guarantees about its inputs") states them.
const (
	// maxLine is the longest line of a report, its line end included: IAM
	// names have at most 64 characters and paths 512, so a real report's
	// line is under 4 KiB.
	maxLine = 64 << 10

	// bufSize is the size of the read buffers: a few times maxLine, so that
	// a large batch is read in fewer system calls.
	bufSize = 4 * maxLine

	// maxRows is the most data lines a report may have: IAM allows 5,000
	// users in an account, and each has one row.
	maxRows = 100_000

	// maxJSONValue is the largest member of a key inventory, and of a
	// get-credential-report envelope other than its Content.
	maxJSONValue = 1 << 20
)

// maxInput is the most bytes an input may hold, both as given and
// decompressed: a real report of 5,000 users is under 2 MB. A variable so
// that tests can lower it.
var maxInput int64 = 256 << 20

// stream is an opened input: its content, decompressed and without a byte
// order mark, with the SHA-256 of its bytes as given. Each input is opened
// once: standard input, a FIFO and the /dev/fd/N of a shell's <(...) can be
// read only once, so what it is is told by peeking, never by reading.
type stream struct {
	*bufio.Reader
	name    string
	raw     io.ReadCloser
	sum     hash.Hash
	rawIn   io.Reader // the bytes as given: capped, hashed, interruptible
	gzipped bool
	bufs    []*bufio.Reader // from readers, to give back
	stop    func() bool     // of the context.AfterFunc that closes raw
}

// readers recycles the read buffers: a batch opens thousands of files.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, bufSize) }}

func (s *stream) buffer(r io.Reader) *bufio.Reader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	s.bufs = append(s.bufs, br)
	return br
}

// close closes the input and gives back the buffers.
func (s *stream) close() {
	s.stop()
	s.raw.Close()
	for _, br := range s.bufs {
		br.Reset(nil)
		readers.Put(br)
	}
	s.bufs = nil
}

// openStream opens an input once and peels off gzip and a UTF-8 byte order
// mark. Reads end when ctx is done: each read checks it, and a read blocked
// on a FIFO is ended by closing the file.
func openStream(ctx context.Context, in input) (*stream, error) {
	raw, err := in.open()
	if err != nil {
		return nil, &Problem{Source: in.name, Message: describeOpenError(err)}
	}
	s := &stream{name: in.name, raw: raw, sum: sha256.New()}
	s.stop = context.AfterFunc(ctx, func() { raw.Close() })
	s.rawIn = io.TeeReader(&capReader{r: ctxReader{ctx, raw}, max: maxInput, name: in.name}, s.sum)
	s.Reader = s.buffer(s.rawIn)
	if magic, _ := s.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(s.Reader)
		if err != nil {
			s.close()
			return nil, &Problem{Source: in.name, Message: "not a valid gzip file: " + err.Error()}
		}
		s.Reader = s.buffer(&capReader{r: zr, max: maxInput, name: in.name, decompressed: true})
		s.gzipped = true
		if magic, _ := s.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			s.close()
			return nil, &Problem{Source: in.name, Message: "gzip inside gzip", Hint: "decompress the file once and analyse what it holds"}
		}
	}
	if bom, _ := s.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		s.Discard(3)
	}
	return s, nil
}

// finish returns the SHA-256 of the input as given. It is called only for
// an input that was read to its end; a failed input is never drained for
// its hash (yes, or /dev/urandom, has no end).
func (s *stream) finish() (string, error) {
	_, err := io.Copy(io.Discard, s.rawIn) // nothing is left but what gzip or JSON did not need
	return hex.EncodeToString(s.sum.Sum(nil)), err
}

// ctxReader ends reads once the context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// capReader fails a read that goes beyond max bytes in all.
type capReader struct {
	r            io.Reader
	n, max       int64
	name         string
	decompressed bool
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n > c.max {
		return 0, c.tooLarge()
	}
	if rest := c.max + 1 - c.n; int64(len(p)) > rest {
		p = p[:rest] // one byte more tells max bytes from more
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		return 0, c.tooLarge()
	}
	return n, err
}

func (c *capReader) tooLarge() error {
	what := "the input is larger than %d MiB"
	if c.decompressed {
		what = "the input is larger than %d MiB decompressed"
	}
	return &Problem{Source: c.name, Message: fmt.Sprintf(what+": no credential report or key inventory is this large (a report of 5,000 users, the most an account can have, is under 2 MB); the rest was not read", c.max>>20),
		Hint: hintNotReport, fatal: true}
}

// sniff tells what a stream holds from its first bytes, and for JSON from
// its first telling key, by peeking: nothing is consumed.
func sniff(s *stream, name string) (kind, error) {
	head, err := s.Peek(512)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(head) == 0 && err != nil && err != io.EOF:
		return kindUnknown, readProblem(name, err)
	case len(head) == 0:
		return kindUnknown, &Problem{Source: name, Message: "file is empty", Hint: hintNotReport}
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return kindUnknown, &Problem{notReport: true, Source: name, Message: "not a credential report: a zip archive or a spreadsheet (xlsx)",
			Hint: "unpack the archive, or analyse the CSV that AWS produced rather than a spreadsheet made from it"}
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return kindUnknown, &Problem{Source: name, Message: "not a credential report: UTF-16 text",
			Hint: "a spreadsheet program saved it as Unicode text; analyse the CSV that AWS produced, or save it as CSV UTF-8"}
	case bytes.IndexByte(head, 0) >= 0 || !utf8Prefix(head, err == nil):
		return kindUnknown, &Problem{notReport: true, Source: name, Message: "not a credential report: a binary file", Hint: hintNotReport}
	case len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '['):
		return sniffJSON(s, name)
	}
	return kindReportCSV, nil
}

// utf8Prefix reports whether b is UTF-8 text, allowing a character cut off
// at its end when more follows. Reports are ASCII; random bytes fail this
// within a few bytes, where a NUL byte may take hundreds to appear.
func utf8Prefix(b []byte, more bool) bool {
	if more {
		for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
			if utf8.RuneStart(b[i]) {
				if !utf8.FullRune(b[i:]) {
					b = b[:i]
				}
				break
			}
		}
	}
	return utf8.Valid(b)
}

// sniffJSON reads the top-level keys of a JSON object, in a window peeked
// from the stream, until one tells what it is. AWS's outputs start with
// the telling key (Content, AccessKeyMetadata), so a window of maxLine is
// plenty.
func sniffJSON(s *stream, name string) (kind, error) {
	window, err := s.Peek(maxLine)
	atEnd := err != nil // the window is the whole input
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return kindUnknown, readProblem(name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(window))
	undecided := func(err error) (kind, error) {
		if atEnd || !(errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
			return kindUnknown, jsonProblem(name, err)
		}
		return kindUnknown, &Problem{notReport: true, Source: name, Message: fmt.Sprintf("not a credential report: JSON whose first %d KiB name neither Content (get-credential-report) nor AccessKeyMetadata (list-access-keys)", maxLine>>10), Hint: hintNotReport}
	}
	tok, err := dec.Token()
	if err != nil {
		return undecided(err)
	}
	if tok != json.Delim('{') {
		return kindUnknown, &Problem{notReport: true, Source: name, Message: "not a credential report: JSON, but not an object", Hint: hintNotReport}
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return undecided(err)
		}
		switch key, _ := tok.(string); {
		case strings.EqualFold(key, "Content"), strings.EqualFold(key, "ReportFormat"), strings.EqualFold(key, "GeneratedTime"):
			return kindReportJSON, nil
		case strings.EqualFold(key, "AccessKeyMetadata"):
			return kindInventory, nil
		case strings.EqualFold(key, "State"):
			return kindUnknown, &Problem{Source: name, Message: "this is what aws iam generate-credential-report prints, not the report",
				Hint: "once the state is COMPLETE, save what aws iam get-credential-report prints"}
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return undecided(err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return undecided(err)
	}
	return kindUnknown, &Problem{notReport: true, Source: name, Message: "not a credential report: JSON without Content (get-credential-report) or AccessKeyMetadata (list-access-keys)", Hint: hintNotReport}
}

// readProblem describes a read that failed: a Problem from a cap or a
// decoder passes through as it is.
func readProblem(name string, err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	hint := ""
	if errors.Is(err, io.ErrUnexpectedEOF) {
		hint = hintTruncatedFile
	}
	return &Problem{Source: name, Message: "read failed: " + err.Error(), Hint: hint, fatal: true}
}

func jsonProblem(name string, err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &Problem{Source: name, Message: fmt.Sprintf("%s is a JSON %s where a %s belongs", te.Field, te.Value, te.Type)}
	}
	if errors.As(err, &se) {
		return &Problem{Source: name, Message: fmt.Sprintf("not valid JSON at byte %d: %v", se.Offset, err)}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &Problem{Source: name, Message: "JSON ends early", Hint: "the file may be truncated; save the command's output again"}
	}
	return &Problem{Source: name, Message: "not valid JSON: " + err.Error()}
}
