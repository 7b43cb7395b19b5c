package formats

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// This file is the workbook's plumbing: the zip archive excelize writes it
// into, and the rows of the large sheets, which credreview writes as XML
// itself.
//
// Why not excelize's StreamWriter for the large sheets: on a review of
// 70,000 findings (the Findings sheet, the Commands sheet of five rows per
// finding, and the stamp), profiled, it spent most of its time escaping
// cells (an xml.EscapeText, a strings.ReplaceAll and a regular expression
// per cell), held a 16 MiB buffer per sheet, and excelize then built the
// whole archive in memory before writing it out. credreview's cell values
// are already plain (valid UTF-8, no control character but the line
// break: see xlsxText), so escaping them is a single pass; the rows of each
// sheet are written side by side into files of their own and compressed
// side by side. excelize still makes every sheet and everything around the
// rows (widths, panes, filters, drop-downs, page set-up, defined names,
// styles), and reads the workbook back in script --approved.

// rawSheet is a sheet whose rows are written here: excelize writes the sheet
// with no rows, and orderedZip puts these rows in its sheetData.
type rawSheet struct {
	name string // the sheet's name
	part string // its part in the archive, xl/worksheets/sheetN.xml
	rows spill  // <row> elements
	n    int    // rows written
	cols int    // the widest row's cells
	buf  []byte
	err  error
}

// rawCell is one cell of a rawSheet row: text, a whole number, or nothing,
// with a style.
type rawCell struct {
	style int
	text  string
	num   int
	kind  rawKind
}

type rawKind uint8

const (
	rawEmpty rawKind = iota
	rawText
	rawNumber
)

func textCell(style int, text string) rawCell {
	return rawCell{style: style, text: text, kind: rawText}
}

// row writes the next row: height in points (0 for the default), and its
// cells from column A.
func (r *rawSheet) row(height float64, cells ...rawCell) {
	if r.err != nil {
		return
	}
	r.n++
	r.cols = max(r.cols, len(cells))
	b := append(r.buf[:0], `<row r="`...)
	b = strconv.AppendInt(b, int64(r.n), 10)
	b = append(b, '"')
	if height > 0 {
		b = append(b, ` ht="`...)
		b = strconv.AppendFloat(b, height, 'f', -1, 64)
		b = append(b, `" customHeight="1"`...)
	}
	b = append(b, '>')
	for i, c := range cells {
		b = append(b, `<c r="`...)
		b = appendColumn(b, i+1)
		b = strconv.AppendInt(b, int64(r.n), 10)
		b = append(b, '"')
		if c.style != 0 {
			b = append(b, ` s="`...)
			b = strconv.AppendInt(b, int64(c.style), 10)
			b = append(b, '"')
		}
		switch c.kind {
		case rawEmpty:
			b = append(b, "/>"...)
		case rawNumber:
			b = append(b, "><v>"...)
			b = strconv.AppendInt(b, int64(c.num), 10)
			b = append(b, "</v></c>"...)
		case rawText:
			b = append(b, ` t="inlineStr"><is><t`...)
			if t := c.text; t != "" && (isSpace(t[0]) || isSpace(t[len(t)-1])) {
				b = append(b, ` xml:space="preserve"`...)
			}
			b = append(b, '>')
			b = appendCellXML(b, c.text)
			b = append(b, "</t></is></c>"...)
		}
	}
	b = append(b, "</row>"...)
	r.buf = b
	_, r.err = r.rows.Write(b)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// appendColumn appends the letters of column n (1 is A).
func appendColumn(b []byte, n int) []byte {
	var tmp [4]byte
	i := len(tmp)
	for n > 0 {
		n--
		i--
		tmp[i] = byte('A' + n%26)
		n /= 26
	}
	return append(b, tmp[i:]...)
}

// appendCellXML appends a cell's text as XML character data, as excelize
// writes it: &, < and > escaped, line breaks kept, and every _xHHHH_ in
// the text escaped as _x005F_xHHHH_, since a spreadsheet reads _xHHHH_ as
// the character HHHH (a legal IAM user name may hold one). Text that is not
// UTF-8 has U+FFFD for its bad bytes, and a control character other than
// the line break and the tab is dropped, as XML 1.0 cannot hold one
// (xlsxText has made them visible already).
func appendCellXML(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '&':
				b = append(b, "&amp;"...)
			case c == '<':
				b = append(b, "&lt;"...)
			case c == '>':
				b = append(b, "&gt;"...)
			case c == '\n' || c == '\t':
				b = append(b, c)
			case c == '\r':
				b = append(b, "&#xD;"...)
			case c < 0x20:
				// dropped: not a character XML 1.0 holds
			case c == '_' && isEscapeCode(s[i:]):
				b = append(b, "_x005F"...)
				b = append(b, c)
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// isEscapeCode reports whether s starts with _xHHHH_.
func isEscapeCode(s string) bool {
	if len(s) < 7 || s[1] != 'x' || s[6] != '_' {
		return false
	}
	for _, c := range []byte(s[2:6]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// rawBook is a workbook written straight to its destination, with the
// rows of its large sheets written here (rawSheet). excelize builds the
// whole archive in a buffer before it writes it out; the zip writer it is
// given here writes to the destination instead, so the buffer stays empty
// and the workbook never sits in memory whole.
type rawBook struct {
	f   *excelize.File
	raw map[string]*rawSheet
	zw  *orderedZip
}

// newRawBook readies f, whose named sheets must have been made already,
// empty, to be written to w with those sheets' rows written here.
func newRawBook(f *excelize.File, w io.Writer, names ...string) (*rawBook, error) {
	ids := map[string]int{}
	for id, name := range f.GetSheetMap() {
		ids[name] = id
	}
	b := &rawBook{f: f, raw: map[string]*rawSheet{}}
	for _, name := range names {
		id, ok := ids[name]
		if !ok {
			return nil, fmt.Errorf("no sheet %q", name)
		}
		// excelize names a sheet's part by the id it made it with; orderedZip
		// checks that each part came.
		b.raw[name] = &rawSheet{name: name, part: fmt.Sprintf("xl/worksheets/sheet%d.xml", id)}
	}
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { b.zw = newOrderedZip(w, b.raw); return b.zw })
	return b, nil
}

// sheet is the raw sheet named, nil for a sheet whose rows excelize writes.
func (b *rawBook) sheet(name string) *rawSheet { return b.raw[name] }

// write writes the workbook, its first sheet active.
func (b *rawBook) write() error {
	for _, r := range b.raw {
		if r.err != nil {
			return fmt.Errorf("sheet %s: %w", r.name, r.err)
		}
	}
	b.f.SetActiveSheet(0)
	if err := b.f.Write(io.Discard); err != nil {
		return err
	}
	if b.zw == nil {
		return fmt.Errorf("the workbook was not written")
	}
	return b.zw.err
}

// close removes the temporary files, whether or not the workbook was
// written.
func (b *rawBook) close() {
	for _, r := range b.raw {
		r.rows.close()
	}
}

// docTime is the time a workbook's properties carry: the newest of the
// times of what it shows, never the clock, so that the same inputs give
// the same bytes; 1980-01-01 when it shows none.
func docTime(times ...time.Time) string {
	when := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, t := range times {
		if t.After(when) {
			when = t
		}
	}
	return when.UTC().Format(time.RFC3339)
}

// orderedZip is the zip writer excelize writes the workbook with, straight
// to the destination. excelize may write worksheets in the order of a map;
// orderedZip holds them back and writes them, sorted by name, after the
// other parts (which excelize writes sorted), so the same review gives the
// same bytes. The worksheet of a rawSheet gets its rows there.
//
// Every part is compressed at flate.BestSpeed: on a findings-heavy review it
// writes the workbook in about half the time of the default level, for a
// file about a quarter larger.
type orderedZip struct {
	zw   *zip.Writer
	raw  map[string]*rawSheet // by part
	held []*heldPart
	err  error
}

// newOrderedZip makes the zip writer of a workbook written to w, with the
// rows of the raw sheets given.
func newOrderedZip(w io.Writer, raw map[string]*rawSheet) *orderedZip {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	z := &orderedZip{zw: zw, raw: map[string]*rawSheet{}}
	for _, r := range raw {
		z.raw[r.part] = r
	}
	return z
}

// heldPart is a worksheet held back, as excelize wrote it.
type heldPart struct {
	name string
	xml  bytes.Buffer
	// Made at Close: the part compressed, its checksum and size.
	out       spill
	crc, size uint64
}

func (p *heldPart) Write(b []byte) (int, error) { return p.xml.Write(b) }

func (z *orderedZip) Create(name string) (io.Writer, error) {
	if strings.HasPrefix(name, "xl/worksheets/sheet") {
		p := &heldPart{name: name}
		z.held = append(z.held, p)
		return p, nil
	}
	return z.zw.Create(name)
}

func (z *orderedZip) AddFS(fsys fs.FS) error { return z.zw.AddFS(fsys) }

// Close compresses the held worksheets side by side, each with its rows,
// then writes them in order, and closes the archive.
func (z *orderedZip) Close() error {
	defer z.cleanup()
	sort.Slice(z.held, func(i, j int) bool { return z.held[i].name < z.held[j].name })
	seen := 0
	errs := make([]error, len(z.held))
	var wg sync.WaitGroup
	for i, p := range z.held {
		r := z.raw[p.name]
		if r != nil {
			seen++
		}
		wg.Go(func() { errs[i] = p.compress(r) })
	}
	wg.Wait()
	if seen != len(z.raw) {
		return z.fail(fmt.Errorf("the workbook lacks a sheet it was to hold"))
	}
	for i, p := range z.held {
		if errs[i] != nil {
			return z.fail(errs[i])
		}
		w, err := z.zw.CreateRaw(&zip.FileHeader{Name: p.name, Method: zip.Deflate, CRC32: uint32(p.crc),
			CompressedSize64: uint64(p.out.n), UncompressedSize64: p.size})
		if err != nil {
			return z.fail(err)
		}
		from, err := p.out.reader()
		if err != nil {
			return z.fail(err)
		}
		if _, err := io.Copy(w, from); err != nil {
			return z.fail(err)
		}
	}
	return z.fail(z.zw.Close())
}

// compress compresses the part, with r's rows in its sheetData when r is
// given.
func (p *heldPart) compress(r *rawSheet) error {
	fw, err := flate.NewWriter(&p.out, flate.BestSpeed)
	if err != nil {
		return err
	}
	crc := crc32.NewIEEE()
	w := io.MultiWriter(fw, crc)
	count := &countWriter{w: w}
	if r == nil {
		if _, err := p.xml.WriteTo(count); err != nil {
			return err
		}
	} else {
		if r.err != nil {
			return fmt.Errorf("sheet %s: %w", r.name, r.err)
		}
		xml := p.xml.String()
		at := strings.Index(xml, "<sheetData/>")
		end := at + len("<sheetData/>")
		if at < 0 {
			at = strings.Index(xml, "<sheetData></sheetData>")
			end = at + len("<sheetData></sheetData>")
		}
		if at < 0 {
			return fmt.Errorf("sheet %s: excelize wrote no empty sheetData to put the rows in", r.name)
		}
		head := xml[:at]
		if r.n > 0 {
			ref := append([]byte("A1:"), appendColumn(nil, max(r.cols, 1))...)
			ref = strconv.AppendInt(ref, int64(r.n), 10)
			for _, empty := range []string{`<dimension ref="A1"/>`, `<dimension ref="A1"></dimension>`} {
				head = strings.Replace(head, empty, `<dimension ref="`+string(ref)+`"/>`, 1)
			}
		}
		rows, err := r.rows.reader()
		if err != nil {
			return err
		}
		io.WriteString(count, head)
		io.WriteString(count, "<sheetData>")
		if _, err := io.Copy(count, rows); err != nil {
			return err
		}
		io.WriteString(count, "</sheetData>")
		io.WriteString(count, xml[end:])
		if count.err != nil {
			return count.err
		}
		r.rows.close()
	}
	if err := fw.Close(); err != nil {
		return err
	}
	p.crc, p.size = uint64(crc.Sum32()), uint64(count.n)
	return nil
}

// countWriter counts what it passes on, and keeps the first error.
type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(b []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(b)
	c.n += int64(n)
	c.err = err
	return n, err
}

func (z *orderedZip) fail(err error) error {
	if z.err == nil {
		z.err = err
	}
	return err
}

// cleanup removes the temporary files.
func (z *orderedZip) cleanup() {
	for _, p := range z.held {
		p.out.close()
	}
	for _, r := range z.raw {
		r.rows.close()
	}
}

// spill holds bytes in memory, then in a temporary file once they are
// many.
type spill struct {
	buf     bytes.Buffer
	file    *os.File
	removed bool // the file's name is gone already
	bw      *bufio.Writer
	n       int64
}

const holdInMemory = 4 << 20

func (s *spill) Write(b []byte) (int, error) {
	s.n += int64(len(b))
	if s.file == nil && s.buf.Len()+len(b) > holdInMemory {
		f, err := os.CreateTemp("", "credreview-xlsx-")
		if err != nil {
			return 0, err
		}
		// Removed at once where the system allows it (it stays open), so
		// that not even a kill leaves it behind; elsewhere, at close.
		if os.Remove(f.Name()) == nil {
			s.removed = true
		}
		s.file, s.bw = f, bufio.NewWriterSize(f, 1<<20)
		if _, err := s.buf.WriteTo(s.bw); err != nil {
			return 0, err
		}
		s.buf = bytes.Buffer{}
	}
	if s.bw != nil {
		return s.bw.Write(b)
	}
	return s.buf.Write(b)
}

// reader reads back what was written.
func (s *spill) reader() (io.Reader, error) {
	if s.file == nil {
		return &s.buf, nil
	}
	if err := s.bw.Flush(); err != nil {
		return nil, err
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return bufio.NewReaderSize(s.file, 1<<20), nil
}

// close removes the temporary file, if any.
func (s *spill) close() {
	if s.file != nil {
		s.file.Close()
		if !s.removed {
			os.Remove(s.file.Name())
		}
		s.file, s.bw = nil, nil
	}
}
