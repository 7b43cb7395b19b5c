// Package completion is credreview completion: it prints a script that
// completes credreview's commands, their flags and the flags' values in
// bash, zsh or fish, made from the commands' own flag sets (see
// cli.CompleteValues) so that it never offers what a command does not take.
package completion

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/credreview/credreview/internal/cli"
)

// Command is credreview completion, for the commands that list returns
// (completion among them: the list is read when a script is made).
func Command(list func() []*cli.Command) *cli.Command {
	return &cli.Command{
		Name:    "completion",
		Summary: "print a shell completion script",
		Usage:   usage,
		Run: func(_ context.Context, args []string, _ io.Reader, stdout io.Writer, _ *cli.UI) error {
			return run(list(), args, stdout)
		},
	}
}

const usage = `Usage:
    credreview completion bash|zsh|fish

Prints a script that completes credreview's commands, their flags, and the
values of --format, --fail-on, --checks, --benchmark and --paper in that
shell.

    bash:  source <(credreview completion bash)
           or save it as ~/.local/share/bash-completion/completions/credreview
    zsh:   source <(credreview completion zsh)
    fish:  credreview completion fish > ~/.config/fish/completions/credreview.fish
`

func run(commands []*cli.Command, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return cli.Usagef("completion takes one shell: bash, zsh or fish")
	}
	var script string
	switch args[0] {
	case "bash":
		script = bash(commands)
	case "zsh":
		// zsh runs bash completion functions through bashcompinit.
		script = "#compdef credreview\n# zsh completion for credreview: source <(credreview completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n" + bash(commands)
	case "fish":
		script = fish(commands)
	default:
		return cli.Usagef("unknown shell %q (want bash, zsh or fish)", args[0])
	}
	_, err := io.WriteString(stdout, script)
	return err
}

// flag is what completion needs of a flag.
type flag struct {
	long, short string
	value       bool // takes a value
	cli.Completion
}

// flags lists a command's flags from the flag set it parses with, so that
// completion never lists a flag the command does not take.
func flags(c *cli.Command) []flag {
	if c.Flags == nil {
		return nil
	}
	var out []flag
	c.Flags().VisitAll(func(f *pflag.Flag) {
		out = append(out, flag{long: f.Name, short: f.Shorthand, value: f.Value.Type() != "bool", Completion: cli.CompletionOf(f)})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].long < out[j].long })
	return out
}

func commandNames(commands []*cli.Command) string {
	var names []string
	for _, c := range commands {
		names = append(names, c.Name)
	}
	return strings.Join(names, " ")
}

func bash(commands []*cli.Command) string {
	var b strings.Builder
	b.WriteString(`# bash completion for credreview: source <(credreview completion bash)
_credreview_list() {
	# The last item of a comma-separated list.
	local done=${cur%"${cur##*,}"}
	COMPREPLY=($(compgen -P "$done" -W "$1" -- "${cur##*,}"))
}

_credreview() {
	# zsh runs this through bashcompinit: arrays count from 0 here, as in bash.
	[[ -n ${ZSH_VERSION-} ]] && setopt localoptions ksharrays
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	# --flag=value comes as three words: --flag, = and value.
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
		prev=${COMP_WORDS[COMP_CWORD-2]}
	fi
	local cmd= i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done
	COMPREPLY=()
	case $cmd in
	'')
		COMPREPLY=($(compgen -W '`)
	b.WriteString(commandNames(commands) + " -h --help -v --version")
	b.WriteString(`' -- "$cur"))
		;;
`)
	for _, c := range commands {
		pattern := strings.Join(append([]string{c.Name}, c.Aliases...), " | ")
		fmt.Fprintf(&b, "\t%s)\n", pattern)
		switch c.Name {
		case "completion":
			b.WriteString("\t\tCOMPREPLY=($(compgen -W 'bash zsh fish' -- \"$cur\"))\n\t\t;;\n")
			continue
		case "help":
			fmt.Fprintf(&b, "\t\tCOMPREPLY=($(compgen -W '%s' -- \"$cur\"))\n\t\t;;\n", commandNames(commands))
			continue
		}
		fls := flags(c)
		if len(fls) == 0 {
			b.WriteString("\t\t;;\n")
			continue
		}
		b.WriteString("\t\tcase $prev in\n")
		var all []string
		for _, f := range fls {
			names := []string{"--" + f.long}
			if f.short != "" {
				names = append([]string{"-" + f.short}, names...)
			}
			all = append(all, names...)
			if !f.value {
				continue
			}
			fmt.Fprintf(&b, "\t\t%s)\n\t\t\t", strings.Join(names, " | "))
			switch {
			case f.List:
				fmt.Fprintf(&b, "_credreview_list '%s'", strings.Join(f.Values, " "))
			case len(f.Values) > 0:
				fmt.Fprintf(&b, "COMPREPLY=($(compgen -W '%s' -- \"$cur\"))", strings.Join(f.Values, " "))
			case f.Dir:
				b.WriteString(`COMPREPLY=($(compgen -d -- "$cur"))`)
			case f.FileExt != "":
				fmt.Fprintf(&b, `COMPREPLY=($(compgen -f -X '!*.%s' -- "$cur") $(compgen -d -- "$cur"))`, f.FileExt)
			default:
				b.WriteString(":")
			}
			b.WriteString("\n\t\t\treturn\n\t\t\t;;\n")
		}
		b.WriteString("\t\tesac\n")
		fmt.Fprintf(&b, "\t\tif [[ $cur == -* ]]; then\n\t\t\tCOMPREPLY=($(compgen -W '%s' -- \"$cur\"))\n", strings.Join(all, " "))
		switch c.Name {
		case "analyze":
			b.WriteString("\t\telse\n\t\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n")
		case "seal": // seals a folder
			b.WriteString("\t\telse\n\t\t\tCOMPREPLY=($(compgen -d -- \"$cur\"))\n")
		}
		b.WriteString("\t\tfi\n\t\t;;\n")
	}
	b.WriteString("\tesac\n}\n\ncomplete -o default -F _credreview credreview\n")
	return b.String()
}

func fish(commands []*cli.Command) string {
	var b strings.Builder
	b.WriteString("# fish completion for credreview: credreview completion fish > ~/.config/fish/completions/credreview.fish\n")
	b.WriteString("complete -c credreview -f\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "complete -c credreview -n __fish_use_subcommand -a %s -d %s\n", c.Name, fishQuote(c.Summary))
	}
	b.WriteString("complete -c credreview -n __fish_use_subcommand -s h -l help -d 'print the help'\n")
	b.WriteString("complete -c credreview -n __fish_use_subcommand -s v -l version -d 'print the version and build'\n")
	for _, c := range commands {
		cond := fishQuote("__fish_seen_subcommand_from " + strings.Join(append([]string{c.Name}, c.Aliases...), " "))
		switch c.Name {
		case "completion":
			fmt.Fprintf(&b, "complete -c credreview -n %s -a 'bash zsh fish'\n", cond)
		case "help":
			fmt.Fprintf(&b, "complete -c credreview -n %s -a %s\n", cond, fishQuote(commandNames(commands)))
		case "analyze":
			fmt.Fprintf(&b, "complete -c credreview -n %s -F\n", cond)
		case "seal":
			fmt.Fprintf(&b, "complete -c credreview -n %s -x -a '(__fish_complete_directories)'\n", cond)
		}
		for _, f := range flags(c) {
			fmt.Fprintf(&b, "complete -c credreview -n %s -l %s", cond, f.long)
			if f.short != "" {
				fmt.Fprintf(&b, " -s %s", f.short)
			}
			switch {
			case len(f.Values) > 0:
				fmt.Fprintf(&b, " -x -a %s", fishQuote(strings.Join(f.Values, " ")))
			case f.Dir:
				b.WriteString(" -x -a '(__fish_complete_directories)'")
			case f.FileExt != "":
				b.WriteString(" -r -F")
			case f.value:
				b.WriteString(" -x")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func fishQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
