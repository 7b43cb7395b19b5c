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

const stampSecond = "2006-01-02T15:04:05"

// commandsFor writes the test, implementation and backout commands of a
// finding, using its key id when an inventory gave one.
func commandsFor(f *Finding) Commands {
	user := "--user-name=" + f.User
	c := keyCommands(f, user)
	if !f.KeyActive {
		// Deactivating an inactive key changes nothing, so there is
		// nothing to reactivate: that would turn on a key that was off.
		c.Backout[0] = commentAlreadyInactive
	}
	return c
}

func keyCommands(f *Finding, user string) Commands {
	if f.KeyID != "" {
		id := "--access-key-id=" + f.KeyID
		return Commands{
			Test: []string{
				"aws iam list-access-keys " + user,
				"aws iam get-access-key-last-used " + id,
			},
			Implement: []string{
				"aws iam update-access-key " + user + " " + id + " --status Inactive",
				"aws iam delete-access-key " + user + " " + id,
			},
			Backout: []string{
				"aws iam update-access-key " + user + " " + id + " --status Active" + commentReactivate,
				"aws iam create-access-key " + user + commentRecreate,
			},
		}
	}
	created := f.KeyCreated.UTC().Format(stampSecond)
	filter := "AccessKeyMetadata[?starts_with(CreateDate, '" + created + "')]"
	selected := func(cmd string) string {
		return `set -- $(aws iam list-access-keys ` + user + ` --output text --query "` + filter + `.AccessKeyId")` +
			` && if [ $# -eq 1 ]; then ` + cmd +
			`; else echo "credreview: ` + f.User + ` has no single access key created ` + created + `Z; nothing changed" >&2; false; fi`
	}
	return Commands{
		Test: []string{
			`aws iam list-access-keys ` + user + ` --query "` + filter + `"`,
			selected(`aws iam get-access-key-last-used --access-key-id="$1"`),
		},
		Implement: []string{
			selected(`aws iam update-access-key ` + user + ` --access-key-id="$1" --status Inactive`),
			selected(`aws iam delete-access-key ` + user + ` --access-key-id="$1"`),
		},
		Backout: []string{
			selected(`aws iam update-access-key `+user+` --access-key-id="$1" --status Active`) + commentReactivate,
			"aws iam create-access-key " + user + commentRecreate,
		},
	}
}

const (
	commentReactivate = "  # while the key is only deactivated"
	commentRecreate   = "  # only after deletion: a NEW key with a new id; deliver its secret to the user securely"

	// commentAlreadyInactive is the backout of deactivating a key that was
	// already inactive: a shell comment, so the list stays runnable.
	commentAlreadyInactive = "# nothing to reactivate: the key was already Inactive before the change"
)
