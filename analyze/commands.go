package analyze

// The remediation commands are plain aws CLI invocations that a change board
// can read and an operator can paste. Three properties matter:
//
//   - User names are validated (ValidUserName) before any command is built,
//     and every legal character is inert in POSIX sh, bash and zsh, so names
//     need no quoting. A name may start with '-' ("-x" and "--help" are legal),
//     which the CLI's argument parser would take for an option; writing
//     --user-name=NAME makes it a value whatever it starts with, and it
//     reaches IAM as NAME for every legal name but "--" (see userArg).
//   - Without a key id (the credential report has none), a command finds the
//     key when it runs: it lists the user's keys and keeps those whose
//     CreateDate starts with the key's creation time to the second, which
//     matches both the +00:00 that CLI v2 prints and the Z of v1 and the API.
//     It acts only when exactly one key matches, and otherwise says so and
//     fails without touching anything.
//   - With --output text the CLI applies --query page by page; the ids of all
//     pages are collected by `set --`, so the count is right across pages.
//     The listing is first kept in a variable (credreview_keys): an
//     assignment has the exit status of its command substitution, where
//     `set -- $(aws ...)` would have set's, and a failed listing (access
//     denied, a dropped connection part-way through the pages) must stop the
//     command rather than pass for "no key".
//   - Delete deletes a key only if it is Inactive when it runs: a key that
//     was never deactivated is left in place, with a message to deactivate
//     it first, because the time between the two is the point of the plan.

// keyCommands writes the test, implementation and backout commands of a
// finding about an IAM user's access key, using its key id when an
// inventory gave one.
func keyCommands(f *Finding) Commands {
	// All six commands go into one buffer, which becomes one string that the
	// commands are slices of: a batch has tens of thousands of findings, and
	// every output asks for their commands.
	b := make([]byte, 0, 3200)
	var ends [7]int
	user := func(b []byte) []byte { return appendUserArg(b, f.User) }
	if f.KeyID != "" {
		id := func(b []byte) []byte { return append(append(b, "--access-key-id="...), f.KeyID...) }
		b = user(append(b, "aws iam list-access-keys "...))
		ends[0] = len(b)
		b = id(append(b, "aws iam get-access-key-last-used "...))
		ends[1] = len(b)
		b = append(id(append(user(append(b, "aws iam update-access-key "...)), ' ')), " --status Inactive"...)
		ends[2] = len(b)
		byID := func(b []byte, field string) []byte {
			b = append(user(append(b, "aws iam list-access-keys "...)), " --output text --query \"AccessKeyMetadata[?AccessKeyId=='"...)
			return append(append(append(b, f.KeyID...), "']."...), field...)
		}
		b = append(byID(append(b, "credreview_keys=$("...), "Status"), "\") && set -- $credreview_keys && if [ \"$*\" = Inactive ]; then "...)
		b = id(append(user(append(b, "aws iam delete-access-key "...)), ' '))
		b = append(b, "; elif [ $# -eq 0 ]; then echo \"credreview: "...)
		b = append(append(append(append(b, f.User...), " has no access key "...), f.KeyID...), "; nothing deleted\" >&2; false; else echo \"credreview: key "...)
		b = append(append(append(append(b, f.KeyID...), " of "...), f.User...), " is $*, not Inactive: deactivate it first; nothing deleted\" >&2; false; fi"...)
		ends[3] = len(b)
		b = append(id(append(user(append(b, "aws iam update-access-key "...)), ' ')), " --status Active"+commentReactivate...)
		ends[4] = len(b)
		b = append(byID(b, "[AccessKeyId,Status]"), '"')
		ends[6] = len(b)
	} else {
		var stamp [20]byte
		created := AppendStamp(stamp[:0], f.KeyCreated)[:19]
		filter := func(b []byte) []byte {
			return append(append(append(b, "AccessKeyMetadata[?starts_with(CreateDate, '"...), created...), "')]"...)
		}
		// selected runs an action, with the key's id in $1, if exactly one
		// key was created at that second; otherwise it says so and fails.
		selected := func(b []byte, verb string, withUser bool, tail string) []byte {
			b = append(user(append(b, "credreview_keys=$(aws iam list-access-keys "...)), " --output text --query \""...)
			b = append(filter(b), ".AccessKeyId\") && set -- $credreview_keys && if [ $# -eq 1 ]; then aws iam "...)
			b = append(b, verb...)
			if withUser {
				b = append(user(append(b, ' ')), ` --access-key-id="$1"`...)
			} else {
				b = append(b, ` --access-key-id="$1"`...)
			}
			b = append(append(b, tail...), "; else echo \"credreview: "...)
			b = append(append(append(b, f.User...), " has no single access key created "...), created...)
			return append(b, "Z; nothing changed\" >&2; false; fi"...)
		}
		b = append(filter(append(user(append(b, "aws iam list-access-keys "...)), " --query \""...)), '"')
		ends[0] = len(b)
		b = selected(b, "get-access-key-last-used", false, "")
		ends[1] = len(b)
		b = selected(b, "update-access-key", true, " --status Inactive")
		ends[2] = len(b)
		// Delete asks for the key's status with its id, and deletes only an
		// Inactive key.
		b = append(user(append(b, "credreview_keys=$(aws iam list-access-keys "...)), " --output text --query \""...)
		b = append(filter(b), ".[AccessKeyId,Status]\") && set -- $credreview_keys && if [ $# -eq 2 ] && [ \"$2\" = Inactive ]; then aws iam delete-access-key "...)
		b = append(user(b), ` --access-key-id="$1"; elif [ $# -eq 2 ]; then echo "credreview: key $1 of `...)
		b = append(append(b, f.User...), ` is $2, not Inactive: deactivate it first; nothing deleted" >&2; false; else echo "credreview: `...)
		b = append(append(append(b, f.User...), " has no single access key created "...), created...)
		b = append(b, "Z; nothing changed\" >&2; false; fi"...)
		ends[3] = len(b)
		b = append(selected(b, "update-access-key", true, " --status Active"), commentReactivate...)
		ends[4] = len(b)
		b = append(filter(append(user(append(b, "aws iam list-access-keys "...)), " --output text --query \""...)), ".[AccessKeyId,Status]\""...)
		ends[6] = len(b)
	}
	// The recreate command comes last in the buffer but sixth in order.
	recreateStart := len(b)
	b = append(user(append(b, "aws iam create-access-key "...)), commentRecreate...)
	ends[5] = len(b)

	s := string(b)
	all := make([]string, 7)
	start := 0
	for i, end := range ends[:5] {
		all[i] = s[start:end]
		start = end
	}
	all[6] = s[ends[4]:ends[6]]
	all[5] = s[recreateStart:ends[5]]
	if !f.ActiveBeforeChange() {
		// Deactivating an inactive key changes nothing, so there is
		// nothing to reactivate: that would turn on a key that was off.
		all[4] = commentAlreadyInactive
	}
	c := Commands{Test: all[0:2:2], Implement: all[2:4:4], Backout: all[4:6:6], Lookup: all[6],
		Deactivate: all[2], Delete: all[3]}
	if f.ActiveBeforeChange() {
		c.Reactivate = all[4]
	}
	return c
}

const (
	commentReactivate = "  # while the key is only deactivated"
	commentRecreate   = "  # only after deletion: a NEW key with a new id; deliver its secret to the user securely"

	// commentAlreadyInactive is the backout of deactivating a key that was
	// already inactive: a shell comment, so the list stays runnable.
	commentAlreadyInactive = "# nothing to reactivate: the key was already Inactive before the change"
)

// appendUserArg appends the argument that names the user to the AWS CLI.
//
// --user-name=NAME reaches IAM as NAME for every legal name but "--". The
// CLI's argument parser is Python's argparse, which removes the first "--"
// among an option's values, even one given after '=': --user-name=-- hands
// the CLI an empty list, which it refuses ("Invalid type for parameter
// UserName, value: []"), so the user could never be remediated. Nothing else
// touches the value of a string parameter: the CLI parses shorthand, JSON
// and lists (commas) only for structures and lists, numbers and booleans
// only for parameters of those types, and file:// and fileb:// need a ':'
// that no name has. TestUserNamesReachIAM holds the real CLI to this for
// every name of one character, every name of two drawn from the characters
// that mean something to a parser, and the names of the CLI's own options;
// when this was written, every name of up to two characters and of three
// from 18 representatives, and 4,000 random names, were tried in the CLI's
// own parser, and "--" was the only one.
//
// That name goes in as JSON, which argparse never looks into: --cli-input-json
// '{"UserName":"--"}'. A legal name needs no escape in JSON, nor in single
// quotes, and the CLI takes the other parameters from the command line.
func appendUserArg(b []byte, name string) []byte {
	if cliMangles(name) {
		return append(append(append(b, `--cli-input-json '{"UserName":"`...), name...), `"}'`...)
	}
	return append(append(b, "--user-name="...), name...)
}

// cliMangles reports whether --user-name=NAME does not reach IAM as NAME.
func cliMangles(name string) bool { return name == "--" }

// userCommand is "aws iam VERB" with the argument that names the user.
func userCommand(verb, user string) string {
	return string(appendUserArg([]byte("aws iam "+verb+" "), user))
}

// deactivateThenDelete is the commands of a finding whose remedy is to
// deactivate, then delete, an IAM user's access key.
func deactivateThenDelete(f *Finding) Commands { return keyCommands(f) }
