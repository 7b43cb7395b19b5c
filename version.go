package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

const versionUsage = `Usage:
    credreview version
    credreview -v | --version

Prints the release, and how this binary was built: the module and its
version, the VCS revision and its time, and the Go toolchain.
`

// versionCmd prints the release and the build information. The release
// alone (version) is what outputs name: two builds of one release write the
// same bytes.
func versionCmd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, ui *ui) error {
	if len(args) > 0 {
		return &usageError{fmt.Sprintf("version takes no arguments, but was given %q", args)}
	}
	_, err := io.WriteString(stdout, buildInfo())
	return err
}

// buildInfo describes this binary from the build information Go records.
func buildInfo() string {
	s := "credreview " + version + "\n"
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
