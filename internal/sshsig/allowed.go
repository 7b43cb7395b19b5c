package sshsig

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// AllowedSigner is one line of an ssh-keygen allowed signers file: who may
// sign, with which key, and for which namespaces and times.
type AllowedSigner struct {
	// Principals are the line's identity patterns, as written: * matches
	// any run of characters, ? one character, and a leading ! excludes
	// what it matches (ssh_config PATTERNS).
	Principals []string
	// Namespaces are the namespace patterns of namespaces="...", same
	// syntax; empty means any namespace.
	Namespaces []string
	// ValidAfter and ValidBefore come from valid-after= and
	// valid-before=; the zero time means no bound. VerifyAllowed compares
	// them with the current time, as ssh-keygen -Y verify does.
	ValidAfter, ValidBefore time.Time
	// Key is the signer's public key (never a certificate).
	Key ssh.PublicKey
	// Line is the line number in the file, for messages.
	Line int
}

// Signer is who made a signature that VerifyAllowed accepted.
type Signer struct {
	// Principal is the identity the signature was checked for; when none
	// was given, the first principal of the first allowed signers line
	// that lists the key (what ssh-keygen -Y find-principals prints first,
	// which may be a pattern such as *@example.com).
	Principal string
	// Fingerprint is ssh.FingerprintSHA256 of Key, as ssh-keygen shows it.
	Fingerprint string
	// Key is the public key that made the signature.
	Key ssh.PublicKey
}

// maxLine bounds a line of the allowed signers file; the longest public
// key line (RSA 16384) is under 3 KiB.
const maxLine = 1 << 20

// ParseAllowedSigners reads the ALLOWED SIGNERS format of ssh-keygen(1):
// per line the principals (comma-separated patterns, optionally in double
// quotes), then optional comma-separated options, then the key type, the
// base64 key and an optional comment. Blank lines and lines starting with #
// are skipped. The options are namespaces="...", valid-after="..." and
// valid-before="..." (YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, local time
// unless it ends in Z or UTC), with their names in any case.
//
// cert-authority lines, and certificates in place of keys, are refused with
// an error rather than skipped: a file that trusts a CA would otherwise seem
// to trust nobody, silently. Unlike ssh-keygen, which reads only the lines
// it needs, every line is checked, and the first bad one is reported with
// its number.
func ParseAllowedSigners(r io.Reader) ([]AllowedSigner, error) {
	if r == nil {
		return nil, errors.New("no allowed signers to read")
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var out []AllowedSigner
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), " \t\r\n")
		line = strings.TrimLeft(line, " \t")
		if line == "" || line[0] == '#' {
			continue
		}
		a, err := parseAllowedLine(line)
		if err != nil {
			return nil, fmt.Errorf("allowed signers line %d: %w", n, err)
		}
		a.Line = n
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("allowed signers line %d is longer than %d MiB; it is not an allowed signers line", n+1, maxLine>>20)
		}
		return nil, fmt.Errorf("read allowed signers: %w", err)
	}
	return out, nil
}

// lineFormat ends the messages about a line's shape.
const lineFormat = "want the principals, then any options, then the key as the signer's .pub file has it (for example alice@example.com namespaces=\"file\" ssh-ed25519 AAAAC3Nz)"

func parseAllowedLine(line string) (AllowedSigner, error) {
	var a AllowedSigner
	principals, rest, err := principalsField(line)
	if err != nil {
		return a, err
	}
	for _, p := range strings.Split(principals, ",") {
		if p != "" {
			a.Principals = append(a.Principals, p)
		}
	}
	if len(a.Principals) == 0 {
		return a, errors.New("no principals; " + lineFormat)
	}
	if rest == "" {
		if isKeyType(principals) {
			return a, errors.New("it starts with a key type, and the principals come first; " + lineFormat)
		}
		return a, errors.New("no key; " + lineFormat)
	}

	// As in ssh-keygen: what follows the principals is the key, or else
	// options and then the key.
	typ, b64 := cutField(rest)
	key, keyErr := parseKey(typ, b64)
	var opts string
	if keyErr != nil {
		if isKeyType(typ) {
			return a, keyErr
		}
		if isKeyType(principals) {
			return a, errors.New("it starts with a key type, and the principals come first; " + lineFormat)
		}
		var after string
		opts, after, err = optionsField(rest)
		if err != nil {
			return a, err
		}
		if after == "" {
			return a, errors.New("no key after the options; " + lineFormat)
		}
		typ, b64 = cutField(after)
		if key, err = parseKey(typ, b64); err != nil {
			return a, err
		}
	}
	if _, ok := key.(*ssh.Certificate); ok {
		return a, errors.New("the key is a certificate; certificates are not supported, list the signer's plain key (its .pub file) instead")
	}
	a.Key = key
	if err := parseOptions(opts, &a); err != nil {
		return a, err
	}
	return a, nil
}

// principalsField splits off the first field the way ssh-keygen does
// (strdelimw): up to white space, except that a double quote starts a
// quoted part that may hold spaces and ends the field at its closing quote.
func principalsField(line string) (field, rest string, err error) {
	i := strings.IndexAny(line, " \t\"")
	if i < 0 {
		return line, "", nil
	}
	if line[i] != '"' {
		return line[:i], strings.TrimLeft(line[i+1:], " \t"), nil
	}
	j := strings.IndexByte(line[i+1:], '"')
	if j < 0 {
		return "", "", errors.New("the principals' opening double quote is never closed")
	}
	return line[:i] + line[i+1:i+1+j], strings.TrimLeft(line[i+2+j:], " \t"), nil
}

// optionsField splits off the options, which end at the first space or tab
// outside double quotes (\" inside quotes does not end them).
func optionsField(s string) (opts, rest string, err error) {
	quoted := false
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !quoted && (c == ' ' || c == '\t') {
			break
		}
		if c == '\\' && i+1 < len(s) && s[i+1] == '"' {
			i++
		} else if c == '"' {
			quoted = !quoted
		}
	}
	if quoted {
		return "", "", errors.New("a double quote in the options is never closed")
	}
	return s[:i], strings.TrimLeft(s[i:], " \t"), nil
}

// cutField returns the first two white-space separated fields of s (the
// key type and base64 key; a comment may follow).
func cutField(s string) (first, second string) {
	f := strings.Fields(s)
	switch len(f) {
	case 0:
		return "", ""
	case 1:
		return f[0], ""
	}
	return f[0], f[1]
}

// keyTypes are the key type names ssh-keygen writes in .pub files; with
// them a line can tell a key that does not parse from options.
var keyTypes = map[string]bool{
	ssh.KeyAlgoRSA: true, dsaKeyType: true,
	ssh.KeyAlgoECDSA256: true, ssh.KeyAlgoECDSA384: true, ssh.KeyAlgoECDSA521: true,
	ssh.KeyAlgoSKECDSA256: true, ssh.KeyAlgoED25519: true, ssh.KeyAlgoSKED25519: true,
	ssh.CertAlgoRSAv01: true, dsaKeyType + "-cert-v01@openssh.com": true,
	ssh.CertAlgoECDSA256v01: true, ssh.CertAlgoECDSA384v01: true, ssh.CertAlgoECDSA521v01: true,
	ssh.CertAlgoSKECDSA256v01: true, ssh.CertAlgoED25519v01: true, ssh.CertAlgoSKED25519v01: true,
}

func isKeyType(s string) bool { return keyTypes[s] }

func parseKey(typ, b64 string) (ssh.PublicKey, error) {
	if b64 == "" {
		return nil, fmt.Errorf("key type %q has no base64 key after it; %s", typ, lineFormat)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("the %s key's base64 does not decode (%v); copy the line from the signer's .pub file again", typ, err)
	}
	key, err := ssh.ParsePublicKey(raw)
	if err != nil {
		return nil, fmt.Errorf("the %s key does not parse (%v); copy the line from the signer's .pub file again", typ, err)
	}
	if key.Type() != typ {
		return nil, fmt.Errorf("the key type says %s but the key is %s; copy the line from the signer's .pub file again", typ, key.Type())
	}
	return key, nil
}

// parseOptions reads the options field as ssh-keygen's sshsigopt_parse
// does: comma-separated, names in any case, values in double quotes.
func parseOptions(opts string, a *AllowedSigner) error {
	seen := map[string]bool{}
	for opts != "" {
		var name, value string
		switch {
		case hasFoldPrefix(opts, "cert-authority") && (len(opts) == len("cert-authority") || opts[len("cert-authority")] == ','):
			return errors.New("cert-authority is not supported: list each signer's own key instead of the CA's")
		case hasFoldPrefix(opts, "namespaces="):
			name = "namespaces"
		case hasFoldPrefix(opts, "valid-after="):
			name = "valid-after"
		case hasFoldPrefix(opts, "valid-before="):
			name = "valid-before"
		default:
			o, _, _ := strings.Cut(opts, ",")
			return fmt.Errorf("unknown option %q; the options are namespaces=\"...\", valid-after=\"...\" and valid-before=\"...\"", o)
		}
		if seen[name] {
			return fmt.Errorf("%s is given twice", name)
		}
		seen[name] = true
		var err error
		value, opts, err = dequote(opts[len(name)+1:], name)
		if err != nil {
			return err
		}
		switch name {
		case "namespaces":
			for _, ns := range strings.Split(value, ",") {
				if ns != "" {
					a.Namespaces = append(a.Namespaces, ns)
				}
			}
			if len(a.Namespaces) == 0 {
				// ssh-keygen reads an empty list as "no namespace",
				// and an empty Namespaces here means any.
				return errors.New("namespaces=\"\" allows no namespace; name the namespaces, or remove the line")
			}
		case "valid-after", "valid-before":
			t, err := parseTime(value)
			if err != nil {
				return fmt.Errorf("%s=%q: %w", name, value, err)
			}
			if name == "valid-after" {
				a.ValidAfter = t
			} else {
				a.ValidBefore = t
			}
		}
		if opts == "" {
			break
		}
		if opts[0] != ',' {
			return fmt.Errorf("unexpected %q after the %s option; separate options with commas", opts, name)
		}
		opts = opts[1:]
		if opts == "" {
			return errors.New("the options end in a comma")
		}
	}
	if !a.ValidAfter.IsZero() && !a.ValidBefore.IsZero() && !a.ValidBefore.After(a.ValidAfter) {
		return errors.New("valid-before is not after valid-after, so the key is never valid")
	}
	return nil
}

func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// dequote reads a double-quoted option value (\" stands for a quote) and
// returns it with what follows the closing quote.
func dequote(s, name string) (value, rest string, err error) {
	if s == "" || s[0] != '"' {
		return "", "", fmt.Errorf("the value of %s must be in double quotes, as in %s=\"...\"", name, name)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '"':
			b.WriteByte('"')
			i++
		case s[i] == '"':
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", fmt.Errorf("the value of %s has no closing double quote", name)
}

// parseTime reads ssh-keygen's absolute times: YYYYMMDD, YYYYMMDDHHMM or
// YYYYMMDDHHMMSS, in local time unless followed by Z or UTC.
func parseTime(s string) (time.Time, error) {
	loc := time.Local
	switch {
	case len(s) > 1 && (s[len(s)-1] == 'Z' || s[len(s)-1] == 'z'):
		loc, s = time.UTC, s[:len(s)-1]
	case len(s) > 3 && strings.EqualFold(s[len(s)-3:], "UTC"):
		loc, s = time.UTC, s[:len(s)-3]
	}
	layout := map[int]string{8: "20060102", 12: "200601021504", 14: "20060102150405"}[len(s)]
	if layout == "" || strings.Trim(s, "0123456789") != "" {
		return time.Time{}, errors.New("not a time such as 20260131, 202601311200 or 20260131120000Z")
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return time.Time{}, errors.New("not a time such as 20260131, 202601311200 or 20260131120000Z")
	}
	if t.Unix() <= 0 {
		return time.Time{}, errors.New("the time is not after 1970")
	}
	return t, nil
}

// VerifyAllowed verifies the signature as Verify does, then checks that an
// allowed signers entry lists its key for identity and namespace at the
// current time, as ssh-keygen -Y verify -f ALLOWED -I IDENTITY -n NAMESPACE
// does. With identity "", it finds the signer instead, as ssh-keygen -Y
// find-principals does, but only among entries whose namespaces and times
// allow the signature (find-principals ignores both).
//
// A signature made with an SSH certificate is refused, as certificates and
// cert-authority lines are not supported. When the key is listed but not for
// identity, namespace or the current time, the error says which line and why.
func VerifyAllowed(armored []byte, message io.Reader, namespace, identity string, allowed []AllowedSigner) (Signer, error) {
	key, err := Verify(armored, message, namespace)
	if err != nil {
		return Signer{}, err
	}
	fp := ssh.FingerprintSHA256(key)
	if _, ok := key.(*ssh.Certificate); ok {
		return Signer{}, fmt.Errorf("the signature was made with an SSH certificate (%s); certificates are not supported: sign with the plain key", fp)
	}
	if len(allowed) == 0 {
		return Signer{}, errors.New("there are no allowed signers; list the keys you trust in the allowed signers file")
	}
	now := time.Now()
	blob := key.Marshal()
	var why error // the reason a line that lists the key was passed over
	principalOnly := true
	for _, a := range allowed {
		if a.Key == nil || !bytes.Equal(a.Key.Marshal(), blob) {
			continue
		}
		if identity != "" && !matchList(identity, a.Principals) {
			if why == nil {
				why = fmt.Errorf("the signing key %s is allowed for %s (allowed signers line %d), not for %q; verify with that identity, or add %q to the line", fp, strings.Join(a.Principals, ","), a.Line, identity, identity)
			}
			continue
		}
		var reason error
		switch {
		case len(a.Namespaces) > 0 && !matchList(namespace, a.Namespaces):
			reason = fmt.Errorf("allowed signers line %d allows the signing key %s only for namespaces %s, not %q; sign for one of those, or add the namespace to the line", a.Line, fp, strings.Join(a.Namespaces, ","), namespace)
		case !a.ValidAfter.IsZero() && now.Unix() < a.ValidAfter.Unix():
			reason = fmt.Errorf("allowed signers line %d: the signing key %s is not valid until %s (valid-after); wait, or correct the line", a.Line, fp, a.ValidAfter.Format(time.RFC3339))
		case !a.ValidBefore.IsZero() && now.Unix() > a.ValidBefore.Unix():
			reason = fmt.Errorf("allowed signers line %d: the signing key %s expired at %s (valid-before); if it is still trusted, extend the line's valid-before", a.Line, fp, a.ValidBefore.Format(time.RFC3339))
		}
		if reason != nil {
			// A line that names the identity explains more than one
			// that names someone else.
			if why == nil || principalOnly {
				why, principalOnly = reason, false
			}
			continue
		}
		p := identity
		if p == "" {
			p = firstPrincipal(a.Principals)
		}
		return Signer{Principal: p, Fingerprint: fp, Key: key}, nil
	}
	if why != nil {
		return Signer{}, why
	}
	return Signer{}, fmt.Errorf("the signing key %s (%s) is not in the allowed signers; add it there if you trust it", fp, key.Type())
}

// firstPrincipal is the first principal that is not an exclusion.
func firstPrincipal(ps []string) string {
	for _, p := range ps {
		if !strings.HasPrefix(p, "!") {
			return p
		}
	}
	return ""
}

// matchList is OpenSSH's match_pattern_list: s must match some pattern and
// no !pattern.
func matchList(s string, patterns []string) bool {
	got := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		if neg {
			p = p[1:]
		}
		if matchPattern(s, p) {
			if neg {
				return false
			}
			got = true
		}
	}
	return got
}

// matchPattern matches s against a pattern where * is any run of bytes and
// ? is one byte, case-sensitively. It backtracks only to the last *, so it
// takes time proportional to len(s)*len(p) at worst.
func matchPattern(s, p string) bool {
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]) && p[pi] != '*':
			si++
			pi++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			mark++
			si, pi = mark, star+1
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
