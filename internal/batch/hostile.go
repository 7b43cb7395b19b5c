package batch

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Hostile inputs: small files that decompress to far more than any report,
// or that are not what they seem, for measuring that credreview stops each
// one at once with an error, in little memory. Each is made cheaply: a
// gzip stream may be many members one after the other (gzip readers, Go's
// among them, read them all as one stream), so one compressed megabyte,
// written many times, makes gigabytes.

// Hostile is one hostile input.
type Hostile struct {
	Name string // what it is
	Path string // the file; "-" for standard input
	// Stdin, for Path "-", is what standard input gives: it never ends.
	Stdin io.Reader
	// Size is how many bytes it decompresses to, 0 when it never ends.
	Size int64
}

const mib = 1 << 20

// repeatedGzip writes a gzip stream of head, then block copies times, then
// tail, each a member of its own, each compressed once.
func repeatedGzip(path string, head, block []byte, copies int, tail []byte) (int64, error) {
	member := func(b []byte) []byte {
		var out bytes.Buffer
		w, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
		w.Write(b)
		w.Close()
		return out.Bytes()
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	blockGz := member(block)
	_, err = f.Write(member(head))
	for i := 0; i < copies && err == nil; i++ {
		_, err = f.Write(blockGz)
	}
	if err == nil {
		_, err = f.Write(member(tail))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return int64(len(head)) + int64(len(block))*int64(copies) + int64(len(tail)), err
}

// GenerateHostile writes the hostile inputs into dir.
func GenerateHostile(dir string) ([]Hostile, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out []Hostile
	add := func(name, file string, head, block []byte, copies int, tail []byte) error {
		path := filepath.Join(dir, file)
		size, err := repeatedGzip(path, head, block, copies, tail)
		out = append(out, Hostile{Name: name, Path: path, Size: size})
		return err
	}
	as := bytes.Repeat([]byte("a"), mib)
	zeros := make([]byte, mib)
	// A block of rows whose length is a multiple of 3, so that the base64
	// of the blocks, one after the other, is the base64 of all the rows.
	var rows strings.Builder
	for i := 0; rows.Len() < mib; i++ {
		fmt.Fprintf(&rows, "u%07d,arn:aws:iam::123456789012:user/u%07d,2025-01-01T00:00:00+00:00,true,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n", i, i)
	}
	pad := func(s string) string { return s + strings.Repeat("\n", (3-len(s)%3)%3) }
	block := pad(rows.String())
	head := pad(Header + "\n")
	var err error
	for _, step := range []func() error{
		func() error { return add("gzip of 1 GiB without a line end", "no-newline.csv.gz", nil, as, 1024, nil) },
		func() error {
			return add("a header, then one row of 1 GiB", "long-row.csv.gz", []byte(Header+"\n"), as, 1024, nil)
		},
		func() error {
			return add("JSON envelope, 512 MiB of Content in one line", "long-content.json.gz", []byte(`{"Content": "`), bytes.Repeat([]byte("QUFB"), mib/4), 512,
				[]byte(`", "ReportFormat": "text/csv", "GeneratedTime": "2026-11-20T12:00:00Z"}`))
		},
		func() error {
			return add("JSON envelope, 2 GiB of Content in rows", "many-rows.json.gz", []byte(`{"Content": "`+base64.StdEncoding.EncodeToString([]byte(head))),
				[]byte(base64.StdEncoding.EncodeToString([]byte(block))), 1536, []byte(`", "ReportFormat": "text/csv"}`))
		},
		func() error { return add("gzip of 10 GiB of zeros", "zeros.gz", nil, zeros, 10240, nil) },
		func() error {
			return add("gzip of 1 GiB of rows", "many-rows.csv.gz", []byte(head), []byte(block), 1024, nil)
		},
	} {
		if err = step(); err != nil {
			return nil, err
		}
	}
	out = append(out,
		Hostile{Name: "yes on standard input", Path: "-", Stdin: &endless{b: []byte("y\n")}},
		Hostile{Name: "/dev/urandom", Path: "/dev/urandom"},
	)
	return out, nil
}

// endless reads b over and over, as yes writes.
type endless struct {
	b   []byte
	off int
}

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = e.b[e.off]
		e.off = (e.off + 1) % len(e.b)
	}
	return len(p), nil
}
