package batch

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestRepeatedGzip checks that the members of a repeated gzip stream read
// back, as one stream, as head, the copies of block, then tail.
func TestRepeatedGzip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.gz")
	size, err := repeatedGzip(path, []byte("head\n"), []byte("block"), 3, []byte("tail"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte("head\nblockblockblocktail"); !bytes.Equal(got, want) || size != int64(len(want)) {
		t.Errorf("got %q (size %d), want %q", got, size, want)
	}
}
