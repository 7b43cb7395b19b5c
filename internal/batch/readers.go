package batch

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Hostile inputs for the readers of everything but reports: workbooks read
// back by script --approved and by analyze where it would write, a
// review's JSON read by verify, key inventories, exceptions files. Each is
// small on disk and huge when read.

// deflateRepeated is a deflate stream of head, then block copies times,
// then tail, made by compressing each once: a segment ended by a sync
// flush starts on a byte boundary and refers to nothing before it, so
// copies of it may follow one another.
func deflateRepeated(head, block []byte, copies int, tail []byte) (stream []byte, crc uint32, size uint64) {
	segment := func(b []byte, final bool) []byte {
		var out bytes.Buffer
		w, _ := flate.NewWriter(&out, flate.BestCompression)
		w.Write(b)
		if final {
			w.Close()
		} else {
			w.Flush()
		}
		return out.Bytes()
	}
	h := crc32.NewIEEE()
	var out bytes.Buffer
	out.Write(segment(head, false))
	h.Write(head)
	blk := segment(block, false)
	for range copies {
		out.Write(blk)
		h.Write(block)
	}
	out.Write(segment(tail, true))
	h.Write(tail)
	return out.Bytes(), h.Sum32(), uint64(len(head)) + uint64(len(block))*uint64(copies) + uint64(len(tail))
}

// BombWorkbook copies the workbook src to dst with its part named part
// replaced: before is the part's text up to where at first occurs in it,
// then block copies times, then the rest. The sizes in the archive are
// true: a reader cannot tell the bomb by a lie.
func BombWorkbook(src, dst, part, at string, block []byte, copies int) error {
	zr, err := zip.OpenReader(src)
	if err != nil {
		return err
	}
	defer zr.Close()
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	found := false
	for _, e := range zr.File {
		rc, err := e.Open()
		if err != nil {
			return err
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		if e.Name != part {
			w, err := zw.Create(e.Name)
			if err != nil {
				return err
			}
			if _, err := w.Write(content); err != nil {
				return err
			}
			continue
		}
		found = true
		i := strings.Index(string(content), at)
		if i < 0 {
			i = len(content)
		}
		stream, crc, size := deflateRepeated(content[:i], block, copies, content[i:])
		w, err := zw.CreateRaw(&zip.FileHeader{Name: e.Name, Method: zip.Deflate, CRC32: crc, CompressedSize64: uint64(len(stream)), UncompressedSize64: size})
		if err != nil {
			return err
		}
		if _, err := w.Write(stream); err != nil {
			return err
		}
	}
	if !found {
		return os.ErrNotExist
	}
	return zw.Close()
}

// HostileReaders writes into dir the hostile inputs of the readers other
// than a report's, beside a review package that the caller made in
// review (credential-review.xlsx and .json, as analyze writes them):
// their names, paths and what each decompresses or pads to.
func HostileReaders(dir, review string) ([]Hostile, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	book := filepath.Join(review, "credential-review.xlsx")
	var out []Hostile
	add := func(name, file string, size int64, err error) error {
		out = append(out, Hostile{Name: name, Path: filepath.Join(dir, file), Size: size})
		return err
	}
	spaces := bytes.Repeat([]byte(" "), mib)
	row := []byte(`<row><c t="inlineStr"><is><t>x</t></is></c></row>`)
	rows := bytes.Repeat(row, mib/len(row))
	steps := []func() error{
		func() error {
			err := BombWorkbook(book, filepath.Join(dir, "entry-1gib.xlsx"), "xl/styles.xml", "</styleSheet>", spaces, 1024)
			return add("workbook: a part of 1 GiB", "entry-1gib.xlsx", 1<<30, err)
		},
		func() error {
			part, err := sheetPart(book, "Findings")
			if err == nil {
				err = BombWorkbook(book, filepath.Join(dir, "blanks-1gib.xlsx"), part, "<sheetData>", spaces, 1024)
			}
			return add("workbook: 1 GiB of blanks in the Findings sheet", "blanks-1gib.xlsx", 1<<30, err)
		},
		func() error {
			copies := 1 << 20 / (mib / len(row)) // a million rows
			part, err := sheetPart(book, "Findings")
			if err == nil {
				err = BombWorkbook(book, filepath.Join(dir, "million-rows.xlsx"), part, "</sheetData>", rows, copies)
			}
			return add("workbook: a million rows added to Findings", "million-rows.xlsx", int64(copies)*mib, err)
		},
		func() error {
			j, err := os.ReadFile(filepath.Join(review, "credential-review.json"))
			if err != nil {
				return err
			}
			f, err := os.Create(filepath.Join(dir, "padded.json"))
			if err != nil {
				return err
			}
			defer f.Close()
			i := bytes.IndexByte(j, '{') + 1
			f.Write(j[:i])
			for range 300 {
				f.Write(spaces)
			}
			_, err = f.Write(j[i:])
			return add("review JSON: 300 MiB of blanks", "padded.json", 300*mib+int64(len(j)), err)
		},
		func() error {
			entry := []byte(`{"UserName": "u", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Active", "CreateDate": "2025-01-01T00:00:00Z"}, `)
			size, err := repeatedGzip(filepath.Join(dir, "123456789012.access-keys.json.gz"), []byte(`{"AccessKeyMetadata": [`), bytes.Repeat(entry, mib/len(entry)), 256,
				[]byte(`{"UserName": "u", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Active", "CreateDate": "2025-01-01T00:00:00Z"}]}`))
			return add("key inventory: gzip of millions of keys", "123456789012.access-keys.json.gz", size, err)
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	out = append(out, Hostile{Name: "exceptions: /dev/zero", Path: "/dev/zero"})
	return out, nil
}

// sheetPart finds the part of a workbook that holds the sheet named name.
func sheetPart(book, name string) (string, error) {
	zr, err := zip.OpenReader(book)
	if err != nil {
		return "", err
	}
	defer zr.Close()
	read := func(part string) string {
		for _, e := range zr.File {
			if e.Name == part {
				rc, err := e.Open()
				if err != nil {
					return ""
				}
				defer rc.Close()
				b, _ := io.ReadAll(rc)
				return string(b)
			}
		}
		return ""
	}
	wb, rels := read("xl/workbook.xml"), read("xl/_rels/workbook.xml.rels")
	m := regexp.MustCompile(`<sheet name="` + regexp.QuoteMeta(name) + `"[^>]*r:id="([^"]+)"`).FindStringSubmatch(wb)
	if m == nil {
		return "", fmt.Errorf("%s: no sheet %s", book, name)
	}
	t := regexp.MustCompile(`Id="` + regexp.QuoteMeta(m[1]) + `"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="` + regexp.QuoteMeta(m[1]) + `"`).FindStringSubmatch(rels)
	if t == nil {
		return "", fmt.Errorf("%s: no part for sheet %s", book, name)
	}
	target := t[1] + t[2]
	return "xl/" + strings.TrimPrefix(strings.TrimPrefix(target, "/xl/"), "/"), nil
}
