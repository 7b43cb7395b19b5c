package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/formats"
)

// NewFlagSet makes a command's flag set: errors are returned, not printed,
// and the help is the command's hand-written usage text.
func NewFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// CommonFlags are the options every command with flags has.
type CommonFlags struct{ Quiet, Help bool }

// Register adds -q and -h to fs.
func (c *CommonFlags) Register(fs *pflag.FlagSet) {
	fs.BoolVarP(&c.Quiet, "quiet", "q", false, "")
	fs.BoolVarP(&c.Help, "help", "h", false, "")
}

// Common is what WithFlags needs of a command's flags.
func (c CommonFlags) Common() CommonFlags { return c }

// OutputFlags are the options of analyze and verify, which write a set of
// files: where, in which formats, named how, on which paper, and when to
// exit 3; and those exceptions apply.
type OutputFlags struct {
	Out, Format, FailOn, Paper, Name string
	Exceptions                       []string

	// Read by Check.
	FailLevel analyze.Severity
	PaperSize formats.Paper
}

// Register adds the output flags to fs; name is the files' default name.
func (o *OutputFlags) Register(fs *pflag.FlagSet, name string) {
	fs.StringVarP(&o.Out, "out", "o", ".", "")
	fs.StringVarP(&o.Format, "format", "f", "xlsx,md,json", "")
	fs.StringVar(&o.FailOn, "fail-on", "none", "")
	fs.StringVar(&o.Paper, "paper", "a4", "")
	fs.StringVar(&o.Name, "name", name, "")
	fs.StringArrayVar(&o.Exceptions, "exceptions", nil, "")
	CompleteDir(fs, "out")
	CompleteList(fs, "format", formats.Names()...)
	CompleteValues(fs, "fail-on", "none", "low", "medium", "high")
	CompleteValues(fs, "paper", "a4", "letter")
}

// Check reads --fail-on and --paper, and checks --name.
func (o *OutputFlags) Check() error {
	var err error
	if o.FailLevel, err = analyze.ParseSeverity(o.FailOn); err != nil {
		return Usagef("--fail-on: %v", err)
	}
	if o.PaperSize, err = formats.ParsePaper(o.Paper); err != nil {
		return Usagef("--paper: %v", err)
	}
	return CheckName(o.Name)
}

// CheckName checks --name: a file name without a folder, that a shell and a
// directory listing show plainly.
func CheckName(name string) error {
	ok := name != "" && len(name) <= 100 && name[0] != '.' && name[0] != '-'
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-+@=,", c)) {
			ok = false
		}
	}
	if !ok {
		return Usagef("--name %q is not a plain file name: use letters, digits and . _ - + @ = , not starting with . or -", name)
	}
	return nil
}

// FormatNames reads a --format list: its names, lower-cased, each once, in
// order; bad is the first name that known does not have.
func FormatNames(list string, known []string) (names []string, bad string) {
	for _, name := range strings.Split(list, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		switch {
		case name == "" || slices.Contains(names, name):
		case !slices.Contains(known, name):
			return nil, name
		default:
			names = append(names, name)
		}
	}
	return names, ""
}

// How a shell completes a flag's value is kept on the flag, as a pflag
// annotation, so that completion offers what each command's own flag set
// says and knows no command's flags by name.
const (
	completeValues = "credreview-values" // one of these
	completeList   = "credreview-list"   // a comma-separated list of these
	completeDir    = "credreview-dir"    // a folder
	completeFile   = "credreview-file"   // a file ending in .<this>
)

// CompleteValues says that flag name of fs takes one of values.
func CompleteValues(fs *pflag.FlagSet, name string, values ...string) {
	annotate(fs, name, completeValues, values)
}

// CompleteList says that flag name of fs takes a comma-separated list of
// values.
func CompleteList(fs *pflag.FlagSet, name string, values ...string) {
	annotate(fs, name, completeValues, values)
	annotate(fs, name, completeList, nil)
}

// CompleteDir says that flag name of fs takes a folder.
func CompleteDir(fs *pflag.FlagSet, name string) { annotate(fs, name, completeDir, nil) }

// CompleteFile says that flag name of fs takes a file named *.ext.
func CompleteFile(fs *pflag.FlagSet, name, ext string) {
	annotate(fs, name, completeFile, []string{ext})
}

func annotate(fs *pflag.FlagSet, name, key string, values []string) {
	if err := fs.SetAnnotation(name, key, values); err != nil {
		panic(fmt.Sprintf("completion of --%s: %v", name, err)) // a flag set's own mistake
	}
}

// Completion is how a shell completes a flag's value.
type Completion struct {
	Values  []string // one of these, or with List a list of them
	List    bool
	Dir     bool   // a folder
	FileExt string // a file named *.FileExt
}

// CompletionOf reads how a shell completes f's value.
func CompletionOf(f *pflag.Flag) Completion {
	c := Completion{Values: f.Annotations[completeValues]}
	_, c.List = f.Annotations[completeList]
	_, c.Dir = f.Annotations[completeDir]
	if ext := f.Annotations[completeFile]; len(ext) > 0 {
		c.FileExt = ext[0]
	}
	return c
}
