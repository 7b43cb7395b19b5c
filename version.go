package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/credreview/credreview/internal/cli"
)

const versionUsage = `Usage:
    credreview version
    credreview -v | --version

Prints the release, and how this binary was built: the module and its
version, the VCS revision and its time, and the Go toolchain.
`

// versionCmd prints the release and the build information. The release
// alone (cli.Version) is what outputs name: two builds of one release
// write the same bytes.
func versionCmd(_ context.Context, args []string, _ io.Reader, stdout io.Writer, _ *cli.UI) error {
	if len(args) > 0 {
		return cli.Usagef("version takes no arguments, but was given %q", args)
	}
	_, err := io.WriteString(stdout, buildInfo())
	return err
}

// buildInfo describes this binary from the build information Go records.
func buildInfo() string {
	s := "credreview " + cli.Version + "\n"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return s + "build: unknown\n" + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	}
	s += fmt.Sprintf("module: %s %s\n", bi.Main.Path, bi.Main.Version)
	rev, when, modified := "", "", ""
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.time":
			when = kv.Value
		case "vcs.modified":
			if kv.Value == "true" {
				modified = " (with uncommitted changes)"
			}
		}
	}
	if rev != "" {
		s += fmt.Sprintf("revision: %s %s%s\n", rev, when, modified)
	}
	return s + fmt.Sprintf("go: %s %s/%s\n", bi.GoVersion, runtime.GOOS, runtime.GOARCH)
}
