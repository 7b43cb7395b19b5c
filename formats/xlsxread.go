package formats

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/xuri/excelize/v2"
)

// Reading a workbook back (script --approved, and a decided workbook found
// where a run would write) is reading a file someone else last saved: a
// zip archive whose parts can be made to decompress to gigabytes, with a
// sheet of a million rows. Every workbook is read with caps, each named in
// the error when a workbook passes it, so that no workbook can make the
// reader hold more than a few hundred megabytes.
const (
	// maxWorkbook is the most bytes a workbook file may have: the largest
	// credreview writes (about 209,000 findings) has about 140 MB.
	maxWorkbook = 256 << 20
	// maxWorkbookPart is the most bytes a part of it may decompress to
	// (the Commands sheet of 72,000 findings is about 300 MB), and
	// maxWorkbookUnzipped all its parts together. Go's zip reader holds a
	// part to the size its header declares.
	maxWorkbookPart     = 768 << 20
	maxWorkbookUnzipped = 1536 << 20
	// maxWorkbookParts is the most parts: credreview writes about twenty.
	maxWorkbookParts = 1000
)

// capError is the refusal of a workbook that passes one of the caps.
type capError struct{ msg string }

func (e *capError) Error() string { return e.msg }

func capped(format string, args ...any) error { return &capError{fmt.Sprintf(format, args...)} }

// openWorkbook reads a workbook from r within the caps; name is for errors.
func openWorkbook(r io.Reader, name string) (*excelize.File, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxWorkbook+1))
	if err != nil {
		return nil, fmt.Errorf("%s%w", prefix(name), err)
	}
	if len(b) > maxWorkbook {
		return nil, capped("%slarger than %d MiB, which no workbook credreview writes is; it was not read", prefix(name), maxWorkbook>>20)
	}
	if err := checkZipSizes(bytes.NewReader(b), int64(len(b)), name); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: maxWorkbookUnzipped, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, fmt.Errorf("not a workbook: %w", err)
	}
	return f, nil
}

// openWorkbookFile is openWorkbook of a file.
func openWorkbookFile(path string) (*excelize.File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return openWorkbook(fh, path)
}

// checkZipSizes refuses an archive whose parts declare more than the caps.
func checkZipSizes(r io.ReaderAt, size int64, name string) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("not a workbook: %w", err)
	}
	if len(zr.File) > maxWorkbookParts {
		return capped("%s%d parts in the workbook's archive, more than the %d any workbook credreview writes has; it was not read", prefix(name), len(zr.File), maxWorkbookParts)
	}
	var total uint64
	for _, f := range zr.File {
		if f.UncompressedSize64 > maxWorkbookPart {
			return capped("%sits part %s decompresses to %d MiB, more than the %d MiB any part of a workbook credreview writes has (a zip bomb?); it was not read", prefix(name), Visible(f.Name), f.UncompressedSize64>>20, maxWorkbookPart>>20)
		}
		total += f.UncompressedSize64
	}
	if total > maxWorkbookUnzipped {
		return capped("%sits parts decompress to %d MiB, more than the %d MiB of any workbook credreview writes; it was not read", prefix(name), total>>20, maxWorkbookUnzipped>>20)
	}
	return nil
}

// slackRows are the rows a sheet may have beyond those credreview wrote
// (empty ones a spreadsheet program keeps) before it is refused unread.
const slackRows = 1000

// boundedRows reads a sheet's rows, as GetRows does (trailing empty cells
// and rows dropped), but refuses a sheet of more than most rows before
// holding them: a million added rows would otherwise take gigabytes. A
// missing sheet has no rows.
func boundedRows(f *excelize.File, sheet string, most int) ([][]string, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, nil
	}
	defer rows.Close()
	var out [][]string
	for n := 0; rows.Next(); n++ {
		if n >= most {
			return nil, fmt.Errorf("more than %d rows, the most the review's findings can fill with some to spare: rows were added; it was not read further", most)
		}
		cols, err := rows.Columns()
		if err != nil {
			return nil, err
		}
		out = append(out, cols)
	}
	for len(out) > 0 && len(out[len(out)-1]) == 0 {
		out = out[:len(out)-1]
	}
	return out, rows.Error()
}

// prefix is "name: " to start a message with, or "" for no name.
func prefix(name string) string {
	if name == "" {
		return ""
	}
	return name + ": "
}
