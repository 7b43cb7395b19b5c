// Command credreview reviews AWS IAM credential reports for access keys that
// were created during a console user's initial setup, and writes what a
// change board needs to remove them.
//
// # Exit codes
//
//	0  done
//	1  some input or output failed; everything readable was analysed and written
//	2  usage error
//	3  findings at or above --fail-on
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/credreview/credreview/internal/cli"
)

func main() {
	tuneGC()
	// Ctrl-C, SIGTERM and SIGHUP stop the run: what was read is not
	// written as if it were everything, and no temporary file is left. A
	// second signal ends the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() { <-ctx.Done(); stop() }()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(cli.ExitCode(err))
}

// tuneGC trades memory the run can spare for time: a batch's live heap is
// small (the findings), but it allocates as it reads, and at the default
// GOGC the collector runs every few megabytes. A soft limit keeps the heap
// bounded all the same (cli.RelaxGC raises it for large findings). GOGC and
// GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(cli.MemoryLimit)
	}
}
