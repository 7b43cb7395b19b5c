package analyze

import (
	"bufio"
	"bytes"
	"compress/gzip"
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
	"strings"
	"sync"
)

// Stdin is the path that names standard input.
const Stdin = "-"

// input is one file to read: a path, or standard input.
type input struct {
	name string // as given, or as found in a directory walk
	open func() (io.ReadCloser, error)
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
			in = append(in, input{name: Stdin, open: replay(stdin)})
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
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				pr.errors = append(pr.errors, Problem{Source: path, Message: describeOpenError(err)})
				return nil
			}
			name := d.Name()
			if path != p && strings.HasPrefix(name, ".") {
				pr.warnings = append(pr.warnings, Problem{Source: path, Message: "hidden, skipped"})
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if IsOutputName(name) {
				pr.warnings = append(pr.warnings, Problem{Source: path, Message: "credreview's own output, skipped"})
				return nil
			}
			if !d.Type().IsRegular() {
				fi, err := os.Stat(path) // follow a symbolic link to a file
				if err != nil || !fi.Mode().IsRegular() {
					pr.warnings = append(pr.warnings, Problem{Source: path, Message: "not a regular file, skipped"})
					return nil
				}
			}
			in = append(in, fileInput(path))
			return nil
		})
		if err != nil {
			pr.errors = append(pr.errors, Problem{Source: p, Message: err.Error()})
		}
	}
	return in
}

// OutputBase is the name, without extension, of the files credreview writes.
const OutputBase = "credential-review"

// IsOutputName reports whether a file name is one credreview writes, which
// directory walks skip so that a review can be written next to its inputs.
func IsOutputName(name string) bool {
	ext, ok := strings.CutPrefix(name, OutputBase+".")
	return ok && (ext == "md" || ext == "json" || ext == "xlsx" || ext == "sh" || ext == "log" || ext == "exceptions.yaml")
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

// replay lets standard input be opened twice: once to tell what it is, once
// to read it. The second open replays what the first read, then goes on.
func replay(r io.Reader) func() (io.ReadCloser, error) {
	var seen bytes.Buffer
	opened := 0
	return func() (io.ReadCloser, error) {
		opened++
		if opened == 1 {
			return io.NopCloser(io.TeeReader(r, &seen)), nil
		}
		return io.NopCloser(io.MultiReader(bytes.NewReader(seen.Bytes()), r)), nil
	}
}

// kind is what an input turned out to be.
type kind int

const (
	kindUnknown kind = iota
	kindReportCSV
	kindReportJSON // the JSON that aws iam get-credential-report prints
	kindInventory  // the JSON that aws iam list-access-keys prints
)

// stream is an opened input: its content, decompressed, with the SHA-256 of
// its bytes as given.
type stream struct {
	*bufio.Reader
	raw     io.ReadCloser
	sum     hash.Hash
	tee     io.Reader
	gzipped bool
	bufs    []*bufio.Reader // from readers, to give back
}

// readers recycles the read buffers: a batch opens thousands of files.
// Telling what a file is needs only its start, hence a small buffer.
var (
	readers      = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}
	sniffReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}
)

func (s *stream) buffer(r io.Reader) *bufio.Reader {
	pool := &readers
	if s.sum == nil {
		pool = &sniffReaders
	}
	br := pool.Get().(*bufio.Reader)
	br.Reset(r)
	s.bufs = append(s.bufs, br)
	return br
}

// close closes the file and gives back the buffers.
func (s *stream) close() {
	s.raw.Close()
	for _, br := range s.bufs {
		br.Reset(nil)
		if br.Size() < 64<<10 {
			sniffReaders.Put(br)
		} else {
			readers.Put(br)
		}
	}
	s.bufs = nil
}

// openStream opens an input and peels off gzip and a UTF-8 byte order mark.
// When sniffing, it only tells what the input is: it neither hashes nor
// reads more than it must.
func openStream(in input, sniffing bool) (*stream, error) {
	raw, err := in.open()
	if err != nil {
		return nil, &Problem{Source: in.name, Message: describeOpenError(err)}
	}
	s := &stream{raw: raw}
	s.tee = raw
	if !sniffing {
		s.sum = sha256.New()
		s.tee = io.TeeReader(raw, s.sum)
	}
	s.Reader = s.buffer(s.tee)
	if magic, _ := s.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(s.Reader)
		if err != nil {
			s.close()
			return nil, &Problem{Source: in.name, Message: "not a valid gzip file: " + err.Error()}
		}
		s.Reader = s.buffer(zr)
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

// finish reads what is left of the file for its hash and closes it.
func (s *stream) finish() (string, error) {
	_, err := io.Copy(io.Discard, s.tee)
	s.close()
	return hex.EncodeToString(s.sum.Sum(nil)), err
}

// sniff tells what a stream holds from its first bytes, and for JSON from
// its first telling key. It reads as little as it can.
func sniff(s *stream, name string) (kind, error) {
	head, err := s.Peek(512)
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(head) == 0 && err != nil && err != io.EOF:
		return kindUnknown, &Problem{Source: name, Message: "read failed: " + err.Error(), Hint: hintTruncatedFile}
	case len(head) == 0:
		return kindUnknown, &Problem{Source: name, Message: "file is empty", Hint: hintNotReport}
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return kindUnknown, &Problem{Source: name, Message: "not a credential report: a zip archive or a spreadsheet (xlsx)",
			Hint: "unpack the archive, or analyse the CSV that AWS produced rather than a spreadsheet made from it"}
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return kindUnknown, &Problem{Source: name, Message: "not a credential report: UTF-16 text",
			Hint: "a spreadsheet program saved it as Unicode text; analyse the CSV that AWS produced, or save it as CSV UTF-8"}
	case bytes.IndexByte(head, 0) >= 0:
		return kindUnknown, &Problem{Source: name, Message: "not a credential report: a binary file", Hint: hintNotReport}
	case len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '['):
		return sniffJSON(s, name)
	}
	return kindReportCSV, nil
}

// sniffJSON reads the top-level keys of a JSON object until one tells what
// it is. It consumes the stream; callers open the input again to read it.
func sniffJSON(s *stream, name string) (kind, error) {
	dec := json.NewDecoder(s)
	tok, err := dec.Token()
	if err != nil {
		return kindUnknown, jsonProblem(name, err)
	}
	if tok != json.Delim('{') {
		return kindUnknown, &Problem{Source: name, Message: "not a credential report: JSON, but not an object", Hint: hintNotReport}
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return kindUnknown, jsonProblem(name, err)
		}
		switch key, _ := tok.(string); {
		case strings.EqualFold(key, "Content"), strings.EqualFold(key, "ReportFormat"):
			return kindReportJSON, nil
		case strings.EqualFold(key, "AccessKeyMetadata"):
			return kindInventory, nil
		case strings.EqualFold(key, "State"):
			return kindUnknown, &Problem{Source: name, Message: "this is what aws iam generate-credential-report prints, not the report",
				Hint: "once the state is COMPLETE, save what aws iam get-credential-report prints"}
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return kindUnknown, jsonProblem(name, err)
		}
	}
	return kindUnknown, &Problem{Source: name, Message: "not a credential report: JSON without Content (get-credential-report) or AccessKeyMetadata (list-access-keys)", Hint: hintNotReport}
}

func jsonProblem(name string, err error) *Problem {
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
