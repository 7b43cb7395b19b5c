package analyze

// The remediation commands are plain aws CLI invocations that a change board
// can read and an operator can paste. Three properties matter:
//
//   - User names are validated (ValidUserName) before any command is built,
//     and every legal character is inert in POSIX sh, bash and zsh, so names
//     need no quoting. A name may start with '-' ("-x" and "--help" are legal),
//     which the CLI's argument parser would take for an option; writing
//     --user-name=NAME makes it a value whatever it starts with.
//   - Without a key id (the credential report has none), a command finds the
//     key when it runs: it lists the user's keys and keeps those whose
//     CreateDate starts with the key's creation time to the second, which
//     matches both the +00:00 that CLI v2 prints and the Z of v1 and the API.
//     It acts only when exactly one key matches, and otherwise says so and
//     fails without touching anything.
//   - With --output text the CLI applies --query page by page; the ids of all
//     pages are collected by `set --`, so the count is right across pages.

// commandsFor writes the test, implementation and backout commands of a
// finding, using its key id when an inventory gave one.
func commandsFor(f *Finding) Commands {
	var c cmdBuilder
	c.b = make([]byte, 0, 2048)
	user := "--user-name=" + f.User
	if f.KeyID != "" {
		id := "--access-key-id=" + f.KeyID
		c.add("aws iam list-access-keys ", user)
		c.add("aws iam get-access-key-last-used ", id)
		c.add("aws iam update-access-key ", user, " ", id, " --status Inactive")
		c.add("aws iam delete-access-key ", user, " ", id)
		c.add("aws iam update-access-key ", user, " ", id, " --status Active", commentReactivate)
	} else {
		created := string(AppendStamp(nil, f.KeyCreated)[:19])
		filter := "AccessKeyMetadata[?starts_with(CreateDate, '" + created + "')]"
		// selected runs cmd, with the key's id in $1, if exactly one key
		// was created at that second; otherwise it says so and fails.
		selected := func(cmd ...string) {
			c.add(append(append([]string{`set -- $(aws iam list-access-keys `, user, ` --output text --query "`, filter, `.AccessKeyId")`,
				` && if [ $# -eq 1 ]; then `}, cmd...),
				`; else echo "credreview: `, f.User, ` has no single access key created `, created, `Z; nothing changed" >&2; false; fi`)...)
		}
		c.add(`aws iam list-access-keys `, user, ` --query "`, filter, `"`)
		selected(`aws iam get-access-key-last-used --access-key-id="$1"`)
		selected(`aws iam update-access-key `, user, ` --access-key-id="$1" --status Inactive`)
		selected(`aws iam delete-access-key `, user, ` --access-key-id="$1"`)
		selected(`aws iam update-access-key `, user, ` --access-key-id="$1" --status Active`)
		c.b = append(c.b, commentReactivate...)
	}
	c.add("aws iam create-access-key ", user, commentRecreate)
	all := c.strings()
	if !f.KeyActive {
		// Deactivating an inactive key changes nothing, so there is
		// nothing to reactivate: that would turn on a key that was off.
		all[4] = commentAlreadyInactive
	}
	return Commands{Test: all[0:2:2], Implement: all[2:4:4], Backout: all[4:6:6]}
}

// cmdBuilder writes a finding's six commands into one buffer, which becomes
// one string that the commands are slices of: a batch has tens of thousands
// of findings, and every output asks for their commands.
type cmdBuilder struct {
	b    []byte
	ends []int
}

func (c *cmdBuilder) add(parts ...string) {
	if len(c.ends) > 0 || len(c.b) > 0 {
		c.ends = append(c.ends, len(c.b))
	}
	for _, p := range parts {
		c.b = append(c.b, p...)
	}
}

func (c *cmdBuilder) strings() []string {
	c.ends = append(c.ends, len(c.b))
	s := string(c.b)
	out := make([]string, len(c.ends))
	start := 0
	for i, end := range c.ends {
		out[i] = s[start:end]
		start = end
	}
	return out
}

const (
	commentReactivate = "  # while the key is only deactivated"
	commentRecreate   = "  # only after deletion: a NEW key with a new id; deliver its secret to the user securely"

	// commentAlreadyInactive is the backout of deactivating a key that was
	// already inactive: a shell comment, so the list stays runnable.
	commentAlreadyInactive = "# nothing to reactivate: the key was already Inactive before the change"
)
