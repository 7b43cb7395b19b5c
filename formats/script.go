package formats

import (
	"fmt"
	"io"
	"strings"

	"github.com/credreview/credreview/analyze"
)

// Script writes a POSIX sh script that carries out the plan: sh
// credential-review.sh PHASE [--account ID] [--from FINDING], with phases
// plan (read-only), deactivate, delete and reactivate (the backout of
// deactivate).
//
// Written by credreview script --approved, it holds only the findings the
// board approved (Review.Decisions), with each reviewer and change ticket;
// written by analyze, every finding, and its header says no board approved
// it. Safety, in the order the script meets it:
//
//   - without a valid phase, or with an account it has no findings for, it
//     prints its usage and exits 2 before any aws command; findings in
//     several accounts need --account, since each account needs its own
//     credentials;
//   - before anything else it asks aws sts get-caller-identity whose the
//     credentials are, and stops, changing nothing, unless they are the
//     account's;
//   - delete deletes a key only if it is Inactive when it runs (the
//     commands check it): a key that was never deactivated stays;
//   - each command is echoed, with the finding's approval and, for a key in
//     use, when and where it was last used, then run; the first failure
//     stops the script with a list of what was done and what was not;
//   - every phase appends a transcript (time, phase, finding, result,
//     command) to a log beside the script (credential-review.log beside
//     credential-review.sh).
//
// The commands are the findings' own (the same as in the JSON, the
// Markdown and the workbook), single-quoted and run with eval, so they
// read in the script exactly as they do in the change request. Every value
// that reaches a comment or a message is made Visible first, so no name,
// path or reviewer can end a comment line.
type Script struct{}

var _ Format = Script{}

func init() { register(Script{}) }

// Name implements Format.
func (Script) Name() string { return "sh" }

// scriptPhases are the phases that change keys, each taking one command of
// a finding.
var scriptPhases = []struct {
	name, what string
	command    func(f *analyze.Finding, c *analyze.Commands) (string, bool)
}{
	{"deactivate", "set each key Inactive (reversible with reactivate); remove each unused password",
		func(f *analyze.Finding, c *analyze.Commands) (string, bool) { return c.Deactivate, c.Deactivate != "" }},
	{"delete", "delete each key that is Inactive; an Active key is left, with a message to deactivate it first; cannot be undone",
		func(f *analyze.Finding, c *analyze.Commands) (string, bool) { return c.Delete, c.Delete != "" }},
	{"reactivate", "set each key that deactivate turned off Active again (the backout of deactivate)",
		func(f *analyze.Finding, c *analyze.Commands) (string, bool) { return c.Reactivate, c.Reactivate != "" }},
}

// scriptFinding is a finding as the script carries it.
type scriptFinding struct {
	*analyze.Finding
	approval string // "approved by R, ticket T", or "" without decisions
}

// commands are the finding's commands, made again for each part of the
// script that needs them rather than held: a script of many findings would
// otherwise hold all their commands at once.
func (s *scriptFinding) commands() analyze.Commands { return s.Finding.Commands() }

// label is what the script echoes before a finding's command: its ID, the
// board's approval and, for a key in use, its last use.
func (s *scriptFinding) label(phase string) string {
	var parts []string
	if s.approval != "" {
		parts = append(parts, s.approval)
	}
	if u := inUse(s.Finding); u != "" && phase != "delete" {
		parts = append(parts, u)
	}
	l := s.ID
	if len(parts) > 0 {
		l += " (" + strings.Join(parts, "; ") + ")"
	}
	return Visible(l)
}

// describe names the finding's key for a comment or a message.
func (s *scriptFinding) describe() string {
	return Visible(fmt.Sprintf("%s %s: %s, %s", s.ID, s.Severity, s.User, s.Subject()))
}

// Write implements Format.
func (Script) Write(w io.Writer, r *Review) error {
	e := &errWriter{w: w}
	v := newView(r)
	var accounts []string
	byAccount := map[string][]*scriptFinding{}
	var leftOut, manual, same []string
	// Findings of several checks can be about one credential (a key made
	// at setup, unused and old): the script acts on it once, for the first.
	acted := map[string]string{}
	for _, a := range v.withFindings() {
		for _, f := range a.Findings {
			sf := &scriptFinding{Finding: f}
			if r.Decisions != nil {
				d := r.Decisions[f.ID]
				if !d.Approved() {
					leftOut = append(leftOut, Visible(fmt.Sprintf("%s (%s, account %s): %s", f.ID, f.User, f.AccountID, describeDecision(d))))
					continue
				}
				sf.approval = approvalText(d)
			}
			cmds := sf.commands()
			if cmds.Manual != "" {
				manual = append(manual, Visible(fmt.Sprintf("%s (%s, account %s): %s", f.ID, f.User, f.AccountID, cmds.Manual)))
			}
			if !cmds.Automated() {
				continue
			}
			cred := credentialOf(f)
			if first, ok := acted[cred]; ok {
				same = append(same, Visible(fmt.Sprintf("%s (%s, account %s): the same credential as %s", f.ID, f.User, f.AccountID, first)))
				continue
			}
			acted[cred] = f.ID
			if len(byAccount[a.ID]) == 0 {
				accounts = append(accounts, a.ID)
			}
			byAccount[a.ID] = append(byAccount[a.ID], sf)
		}
	}
	n := 0
	for _, a := range accounts {
		n += len(byAccount[a])
	}

	e.print("#!/bin/sh\n")
	e.print("# shellcheck disable=SC2016 # the commands are single-quoted on purpose: run evals them\n")
	base := r.name()
	e.printf("# %s.sh: remove the access keys that were created during console\n", base)
	e.print("# users' initial setup.\n#\n")
	e.printf("# Generated by %s %s for review %s, from:\n", Visible(r.Tool.Name), Visible(r.Tool.Version), ReviewID(r))
	for _, rep := range r.Reports {
		e.printf("#   %s (account %s, sha256 %s)\n", Visible(rep.Source), Visible(accountOf(rep.AccountID)), Visible(rep.SHA256))
	}
	for _, inv := range r.Inventories {
		e.printf("#   %s (key inventory, sha256 %s)\n", Visible(inv.Source), Visible(inv.SHA256))
	}
	e.printf("# Setup window %s; ages measured to %s.\n", analyze.FormatWindow(r.Options.SetupWindow), asOfRule(r))
	for _, c := range r.custody() {
		e.printf("# %s\n", Visible(capitalize(c)))
	}
	e.print("#\n")
	if r.Decisions != nil {
		e.print("# " + approvedMarker + "\n")
		e.printf("# The change board's decisions, read from %s:\n", Visible(orDash(r.Workbook)))
		e.printf("# %s approved, and only they are in this script:\n", plural(n, "finding", "findings"))
		for _, a := range accounts {
			for _, sf := range byAccount[a] {
				e.printf("#   %s (%s, account %s): %s\n", Visible(sf.ID), Visible(sf.User), Visible(a), Visible(sf.approval))
			}
		}
		if len(leftOut) > 0 {
			e.printf("# %s left out:\n", plural(len(leftOut), "finding", "findings"))
			for _, l := range leftOut {
				e.printf("#   %s\n", l)
			}
		}
	} else {
		e.printf("# %s.\n", capitalize(Summary(r)))
		e.print("# No change board has approved them: this script covers every finding. For a\n")
		e.printf("# script of what a board approved, decide in %s.xlsx and run\n", base)
		e.printf("# credreview script --approved %s.xlsx\n", base)
	}
	e.print("#\n")
	if len(manual) > 0 {
		e.printf("# By hand: %s that no command in this script does, or that must come\n# first:\n", plural(len(manual), "finding", "findings"))
		for _, m := range manual {
			e.printf("#   %s\n", m)
		}
		e.print("#\n")
	}
	if len(same) > 0 {
		e.printf("# Acted on once, under the first finding about the credential:\n")
		for _, m := range same {
			e.printf("#   %s\n", m)
		}
		e.print("#\n")
	}
	e.printf("# Usage: sh %s.sh PHASE [--account ID] [--from FINDING]\n", base)
	e.printf("#   %-12s %s\n", "plan", "read-only: say what each phase would do to which key, and change nothing")
	for _, p := range scriptPhases {
		e.printf("#   %-12s %s\n", p.name, p.what)
	}
	e.print("#   --account ID run account ID's findings, with credentials for that account;\n")
	e.print("#                needed when the findings are in more than one account\n")
	e.print("#   --from ID    start at finding ID, to go on after a failure was put right\n#\n")
	e.print("# Before anything else the script asks aws sts get-caller-identity whose the\n")
	e.print("# credentials are, and stops, changing nothing, unless they are the account's.\n")
	e.print("# Each command is echoed before it runs. The first failure stops the script,\n")
	e.print("# which then says which findings were done and which were not, and how to go on.\n")
	e.printf("# Every phase appends a transcript to %s.log beside this script.\n#\n", base)
	e.print("# Verify afterwards: generate a new credential report of each account\n")
	e.print("# (aws iam generate-credential-report, then aws iam get-credential-report)\n")
	e.print("# (or credreview fetch) and run credreview verify --review on the review's JSON\n")
	e.print("# with it: each finding of this script must be remediated.\n\n")

	e.print("set -u\nAWS_PAGER=''\nexport AWS_PAGER\n")
	e.print("me=${0##*/}\n")
	e.print("case $0 in\n*.sh) ;;\n*)\n\tprintf '%s\\n' \"$me: run this script by its file name (sh NAME.sh): its transcript goes beside it\" >&2\n\texit 2\n\t;;\nesac\n")
	e.print("log=${0%.sh}.log\n")
	e.print("# quote WORD: WORD single-quoted for sh, to print a command to paste.\n")
	e.print("quote() { printf \"'%s'\" \"$(printf '%s' \"$1\" | sed \"s/'/'\\\\\\\\''/g\")\"; }\n\n")
	e.print("usage() {\n\tprintf '%s\\n' \"usage: sh $me plan|deactivate|delete|reactivate [--account ID] [--from FINDING]\" >&2\n\texit 2\n}\n\n")
	e.print("phase=${1-}\n[ $# -gt 0 ] && shift\naccount=\nfrom=\n")
	e.print("while [ $# -gt 0 ]; do\n\tcase $1 in\n")
	e.print("\t--account) [ $# -ge 2 ] || usage; account=$2; shift 2 ;;\n")
	e.print("\t--account=*) account=${1#--account=}; shift ;;\n")
	e.print("\t--from) [ $# -ge 2 ] || usage; from=$2; shift 2 ;;\n")
	e.print("\t--from=*) from=${1#--from=}; shift ;;\n")
	e.print("\t*) usage ;;\n\tesac\ndone\n")
	e.print("case $phase in\nplan | deactivate | delete | reactivate) ;;\n*) usage ;;\nesac\n")
	switch len(accounts) {
	case 0:
		e.print("printf '%s\\n' \"$me: $phase: nothing to do: the script holds no findings\" >&2\nexit 0\n\n")
	case 1:
		e.printf("case $account in\n'' | %s) account=%s ;;\n", shellQuote(accounts[0]), shellQuote(accounts[0]))
		e.printf("*)\n\tprintf '%%s\\n' \"$me: no findings for account $account; the findings are in account \"%s >&2\n\texit 2\n\t;;\nesac\n\n", shellQuote(accounts[0]))
	default:
		var quoted []string
		for _, a := range accounts {
			quoted = append(quoted, shellQuote(a))
		}
		all := shellQuote(strings.Join(accounts, " "))
		e.printf("case $account in\n%s) ;;\n", strings.Join(quoted, " | "))
		e.printf("'')\n\tprintf '%%s\\n' \"$me: the findings are in %d accounts (\"%s\"): run each with its own credentials and --account ID\" >&2\n\texit 2\n\t;;\n", len(accounts), all)
		e.printf("*)\n\tprintf '%%s\\n' \"$me: no findings for account $account; the accounts are: \"%s >&2\n\texit 2\n\t;;\nesac\n\n", all)
	}
	if len(accounts) == 0 {
		return e.err
	}

	e.print(`# transcript FINDING RESULT COMMAND: append a line to the log.
transcript() {
	if ! printf '%s %s account %s %s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$phase" "$account" "$1" "$2" "$3" >>"$log" 2>/dev/null; then
		[ -n "${log_warned-}" ] || printf '%s\n' "$me: cannot append to $log; the transcript of this run is lost" >&2
		log_warned=1
	fi
}

# Whose are the credentials? Nothing runs unless they are the account's.
if ! caller=$(aws sts get-caller-identity --query Account --output text); then
	printf '%s\n' "$me: $phase: aws sts get-caller-identity failed, so whose the credentials are is not known; nothing in account $account was changed" >&2
	transcript - stopped "aws sts get-caller-identity failed"
	exit 1
fi
if [ "$caller" != "$account" ]; then
	printf '%s\n' "$me: $phase: the credentials are for account $caller, not $account; nothing in account $account was changed" >&2
	printf '%s\n' "$me: run it with credentials for account $account" >&2
	transcript - stopped "the credentials are for account $caller"
	exit 1
fi
transcript - start "credentials of account $caller"

done_ids=
# run FINDING LABEL COMMAND: echo the command, run it, stop at the first failure.
run() {
	run_id=$1 run_label=$2 run_cmd=$3
	if [ -n "$from" ]; then
		[ "$run_id" = "$from" ] || return 0
		from=
	fi
	printf '+ %s: %s\n' "$run_label" "$run_cmd"
	if eval "$run_cmd"; then
		transcript "$run_id" ok "$run_cmd"
		done_ids="$done_ids $run_id"
		return 0
	fi
	transcript "$run_id" failed "$run_cmd"
	printf '%s\n' "$me: $phase: the command for $run_id (account $account) failed; stopping" >&2
	printf '%s\n' "$me: done:${done_ids:- nothing}" >&2
	printf '%s\n' "$me: not done: $run_id$(not_done "$run_id")" >&2
	printf '%s\n' "$me: once it is put right, go on with: sh $(quote "$0") $phase --account $account --from $run_id" >&2
	exit 1
}

# plan_key FINDING DESCRIPTION REACTIVATE LOOKUP: say what each phase would
# do to the finding's key, as IAM has it now. REACTIVATE is yes when the
# reactivate phase would turn the key on.
plan_key() {
	plan_id=$1 plan_what=$2 plan_back=$3
	if [ -n "$from" ]; then
		[ "$plan_id" = "$from" ] || return 0
		from=
	fi
	if ! plan_found=$(eval "$4"); then
		transcript "$plan_id" failed "$4"
		printf '%s\n' "$me: plan: listing the keys of $plan_id failed; stopping" >&2
		exit 1
	fi
	transcript "$plan_id" ok "$4"
	# shellcheck disable=SC2086 # the key ids and states, one word each
	set -- $plan_found
	if [ $# -ne 2 ]; then
		printf '%s\n' "$plan_what: $(($# / 2)) keys match now, not one: every phase would change nothing"
		return 0
	fi
	case $2 in
	Active) plan_back="nothing (the key is Active)"; plan_do="deactivate sets it Inactive; delete refuses until it is Inactive" ;;
	*)
		plan_do="deactivate changes nothing (it is $2 already); delete deletes it"
		if [ "$plan_back" = yes ]; then plan_back="sets it Active"; else plan_back="nothing (the key was Inactive before the change)"; fi
		;;
	esac
	printf '%s\n' "$plan_what: key $1 is $2 now: $plan_do; reactivate: $plan_back"
	done_ids="$done_ids $plan_id"
}

# plan_password FINDING DESCRIPTION LOOKUP: say what deactivate would do to
# the user's console password.
plan_password() {
	plan_id=$1 plan_what=$2
	if [ -n "$from" ]; then
		[ "$plan_id" = "$from" ] || return 0
		from=
	fi
	if plan_found=$(eval "$3"); then
		transcript "$plan_id" ok "$3"
		printf '%s\n' "$plan_what: the console password, set $plan_found, is there now: deactivate deletes it (delete-login-profile); a new one must then be set to undo that"
	else
		transcript "$plan_id" failed "$3"
		printf '%s\n' "$plan_what: the console password cannot be read (gone, or not allowed): deactivate would fail or change nothing"
	fi
	done_ids="$done_ids $plan_id"
}

`)
	e.print("plan() {\n")
	for _, a := range accounts {
		e.printf("\tif [ \"$account\" = %s ]; then\n", shellQuote(a))
		for _, sf := range byAccount[a] {
			what := sf.describe()
			if u := inUse(sf.Finding); u != "" {
				what += " (" + Visible(u) + ")"
			}
			cmds := sf.commands()
			if sf.KeySlot == 0 {
				e.printf("\t\tplan_password %s %s %s\n", shellQuote(sf.ID), shellQuote(what), shellQuote(cmds.Lookup))
				continue
			}
			back := "no"
			if cmds.Reactivate != "" {
				back = "yes"
			}
			e.printf("\t\tplan_key %s %s %s %s\n", shellQuote(sf.ID), shellQuote(what), back, shellQuote(cmds.Lookup))
		}
		e.print("\tfi\n")
	}
	e.print("}\n\n")
	for _, p := range scriptPhases {
		e.printf("%s() {\n", p.name)
		for _, a := range accounts {
			e.printf("\tif [ \"$account\" = %s ]; then\n", shellQuote(a))
			k := 0
			for _, sf := range byAccount[a] {
				cmds := sf.commands()
				cmd, ok := p.command(sf.Finding, &cmds)
				if !ok {
					continue
				}
				e.printf("\t\t# %s\n", sf.describe())
				e.printf("\t\trun %s %s %s\n", shellQuote(sf.ID), shellQuote(sf.label(p.name)), shellQuote(cmd))
				k++
			}
			if k == 0 {
				e.print("\t\t: \"nothing to do\"\n")
			}
			e.print("\tfi\n")
		}
		e.print("}\n\n")
	}

	e.print("# not_done FINDING: the findings of this phase and account after FINDING.\n")
	e.print("not_done() {\n\ttarget=$1\n\tcase $phase in\n")
	for _, p := range append([]string{"plan"}, "deactivate", "delete", "reactivate") {
		e.printf("\t%s) set --", p)
		for _, a := range accounts {
			for _, sf := range byAccount[a] {
				if _, ok := phaseCommand(p, sf); ok {
					e.printf(" %s", shellQuote(a+":"+sf.ID))
				}
			}
		}
		e.print(" ;;\n")
	}
	e.print("\tesac\n\tafter=\n\tfor s in \"$@\"; do\n")
	e.print("\t\tif [ -n \"$after\" ] && [ \"${s%%:*}\" = \"$account\" ]; then printf ' %s' \"${s#*:}\"; fi\n")
	e.print("\t\t[ \"${s#*:}\" = \"$target\" ] && after=1\n")
	e.print("\tdone\n}\n\n")
	e.print("\"$phase\"\n")
	e.print("if [ -n \"$from\" ]; then\n\tprintf '%s\\n' \"$me: no finding $from in the $phase phase of account $account\" >&2\n\texit 2\nfi\n")
	e.print("transcript - finished \"done:${done_ids:- nothing}\"\n")
	e.print("printf '%s\\n' \"$me: $phase: account $account: done:${done_ids:- nothing to do}\" >&2\n")
	return e.err
}

// approvedMarker marks a script written from a board's decisions, which a
// later run must not replace (see HoldsDecisions).
const approvedMarker = "credreview: the script of a change board's approvals"

// credentialOf names the credential a finding is about: a key by its
// account, user, slot and creation time; else the user's password.
func credentialOf(f *analyze.Finding) string {
	if f.KeySlot > 0 {
		return fmt.Sprintf("%s:%s:%s:key%d:%d", f.Partition, f.AccountID, f.User, f.KeySlot, f.KeyCreated.Unix())
	}
	return fmt.Sprintf("%s:%s:%s:password", f.Partition, f.AccountID, f.User)
}

// phaseCommand is the command a phase runs for a finding, and whether it
// runs one (the plan reads each finding).
func phaseCommand(phase string, sf *scriptFinding) (string, bool) {
	cmds := sf.commands()
	if phase == "plan" {
		return cmds.Lookup, true
	}
	for _, p := range scriptPhases {
		if p.name == phase {
			return p.command(sf.Finding, &cmds)
		}
	}
	return "", false
}

// approvalText is how the script names a board's approval.
func approvalText(d Decision) string {
	s := "approved by " + orUnnamed(d.Reviewer)
	if d.Ticket != "" {
		s += ", ticket " + d.Ticket
	}
	return s
}

// describeDecision says why a finding is not in an approved script.
func describeDecision(d Decision) string {
	s := d.Why()
	if d.Reviewer != "" {
		s += " by " + d.Reviewer
	}
	if d.Notes != "" {
		s += ": " + d.Notes
	}
	return s
}

func orUnnamed(s string) string {
	if s == "" {
		return "an unnamed reviewer"
	}
	return s
}

// shellQuote single-quotes a string for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
