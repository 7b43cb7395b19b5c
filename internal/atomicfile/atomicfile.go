// Package atomicfile writes files that appear whole or not at all: the
// content goes to a temporary file in the same directory, which is renamed
// into place only once it is complete. An interrupted run never leaves half
// a file. Both the analyze outputs and the fetched evidence are written this
// way, hence a package of their own.
package atomicfile

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
)

// Write creates or replaces path with what write writes, through a buffer,
// mode 0644. When ctx is done by the time the content is written (the user
// pressed Ctrl-C), the file is not put in place.
//
// It does not wait for the disk: a review can be written again from its
// inputs, and flushing tens of megabytes would cost more than the analysis.
func Write(ctx context.Context, path string, write func(io.Writer) error) error {
	return writeFile(ctx, path, write, false)
}

// WriteDurable is Write, and then waits until the file and its name are on
// disk: fetched evidence cannot be made again as it was.
func WriteDurable(ctx context.Context, path string, write func(io.Writer) error) error {
	return writeFile(ctx, path, write, true)
}

func writeFile(ctx context.Context, path string, write func(io.Writer) error, durable bool) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 256<<10)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if durable {
		if err = tmp.Sync(); err != nil {
			return err
		}
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = ctx.Err(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil || !durable {
		return err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}
