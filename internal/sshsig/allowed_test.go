package sshsig

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"golang.org/x/crypto/ssh"
)

// expand replaces %ED% and %OTHER% by the .pub lines of goEd25519 and
// goOther.
func expand(s string) string {
	return strings.NewReplacer("%ED%", authorizedKey(goEd25519.PublicKey()), "%OTHER%", authorizedKey(goOther.PublicKey())).Replace(s)
}

func TestParseAllowedSigners(t *testing.T) {
	goKeys(t)
	file := expand("# team signers\n" +
		"   \n" +
		"\"alice@example.com,bob@example.com\" %ED% alice's laptop key\n" +
		"*@example.com,!mallory@example.com NAMESPACES=\"file,credreview-*\",valid-after=\"20250101Z\",Valid-Before=\"20300101120000UTC\" %OTHER%\r\n" +
		"\t# indented comment\n" +
		"carol@example.com valid-after=\"202501020304\" %ED%")
	got, err := ParseAllowedSigners(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		line                    int
		principals, namespaces  string
		validAfter, validBefore time.Time
		key                     string
	}
	want := []entry{
		{3, "alice@example.com,bob@example.com", "", time.Time{}, time.Time{}, ssh.FingerprintSHA256(goEd25519.PublicKey())},
		{4, "*@example.com,!mallory@example.com", "file,credreview-*", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC), ssh.FingerprintSHA256(goOther.PublicKey())},
		{6, "carol@example.com", "", time.Date(2025, 1, 2, 3, 4, 0, 0, time.Local), time.Time{}, ssh.FingerprintSHA256(goEd25519.PublicKey())},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		ge := entry{g.Line, strings.Join(g.Principals, ","), strings.Join(g.Namespaces, ","), g.ValidAfter, g.ValidBefore, ssh.FingerprintSHA256(g.Key)}
		if !ge.validAfter.Equal(w.validAfter) || !ge.validBefore.Equal(w.validBefore) {
			t.Errorf("entry %d: got times %v, %v, want %v, %v", i, ge.validAfter, ge.validBefore, w.validAfter, w.validBefore)
		}
		ge.validAfter, ge.validBefore, w.validAfter, w.validBefore = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if ge != w {
			t.Errorf("entry %d: got %+v, want %+v", i, ge, w)
		}
	}

	empty, err := ParseAllowedSigners(strings.NewReader("# nobody yet\n\n"))
	if err != nil || len(empty) != 0 {
		t.Errorf("comments only: got %v, %v, want no entries and no error", empty, err)
	}
}

func TestParseAllowedSignersRejects(t *testing.T) {
	goKeys(t)
	edB64 := strings.Fields(authorizedKey(goEd25519.PublicKey()))[1]
	cert := &ssh.Certificate{Key: goEd25519.PublicKey(), CertType: ssh.UserCert, ValidPrincipals: []string{"alice"}, ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, goOther); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, want string
	}{
		{"cert-authority", "*@example.com cert-authority %ED%", "allowed signers line 1: cert-authority is not supported"},
		{"cert-authority in capitals after another option", "# CA\n*@example.com namespaces=\"file\",CERT-AUTHORITY %ED%", "allowed signers line 2: cert-authority is not supported"},
		{"certificate in place of a key", "alice@example.com " + authorizedKey(cert), "allowed signers line 1: the key is a certificate"},
		{"unknown option", "alice@example.com no-touch-required %ED%", `allowed signers line 1: unknown option "no-touch-required"`},
		{"namespaces not quoted", "alice@example.com namespaces=file %ED%", "the value of namespaces must be in double quotes"},
		{"namespaces quote not closed", "alice@example.com namespaces=\"file %ED%", "a double quote in the options is never closed"},
		{"namespaces empty", "alice@example.com namespaces=\"\" %ED%", `namespaces="" allows no namespace`},
		{"namespaces twice", "alice@example.com namespaces=\"a\",namespaces=\"b\" %ED%", "namespaces is given twice"},
		{"options end in a comma", "alice@example.com namespaces=\"a\", %ED%", "the options end in a comma"},
		{"text after an option value", "alice@example.com namespaces=\"a\"x %ED%", `unexpected "x" after the namespaces option`},
		{"valid-after not a time", "alice@example.com valid-after=\"yesterday\" %ED%", `valid-after="yesterday": not a time`},
		{"valid-before not a date", "alice@example.com valid-before=\"20251340\" %ED%", `valid-before="20251340": not a time`},
		{"valid-before before valid-after", "alice@example.com valid-after=\"20260101\",valid-before=\"20250101\" %ED%", "the key is never valid"},
		{"key type first", "%ED%", "allowed signers line 1: it starts with a key type, and the principals come first"},
		{"key type first with comment", "%ED% alice", "it starts with a key type, and the principals come first"},
		{"principals only", "\n\nalice@example.com", "allowed signers line 3: no key"},
		{"options but no key", "alice@example.com namespaces=\"file\"", "no key after the options"},
		{"no base64 key", "alice@example.com ssh-ed25519", `key type "ssh-ed25519" has no base64 key after it`},
		{"base64 damaged", "alice@example.com ssh-ed25519 AAAA!!!!", "the ssh-ed25519 key's base64 does not decode"},
		{"key damaged", "alice@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", "the ssh-ed25519 key does not parse"},
		{"key type does not match the key", "alice@example.com ssh-rsa " + edB64, "the key type says ssh-rsa but the key is ssh-ed25519"},
		{"principals quote not closed", "\"alice@example.com %ED%", "the principals' opening double quote is never closed"},
		{"no principals", "\",\" %ED%", "no principals"},
		{"bad line after good ones", "alice@example.com %ED%\nbob@example.com %OTHER%\nbroken", "allowed signers line 3: no key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAllowedSigners(strings.NewReader(expand(tt.file)))
			if got != nil {
				t.Errorf("got %d entries, want none", len(got))
			}
			wantErr(t, err, tt.want)
		})
	}

	t.Run("line too long", func(t *testing.T) {
		_, err := ParseAllowedSigners(strings.NewReader("# fine\n" + strings.Repeat("a", maxLine+1)))
		wantErr(t, err, "allowed signers line 2 is longer than 1 MiB")
	})
	t.Run("read error", func(t *testing.T) {
		_, err := ParseAllowedSigners(iotest.ErrReader(errors.New("disk gone")))
		wantErr(t, err, "read allowed signers: disk gone")
	})
}

func TestVerifyAllowed(t *testing.T) {
	goKeys(t)
	msg := []byte("credential report of 2026-01-31\n")
	sig := mustSign(t, goEd25519, testNS, msg)
	day := func(d time.Duration) string { return time.Now().UTC().Add(d).Format("20060102") + "Z" }
	yesterday, tomorrow := day(-48*time.Hour), day(48*time.Hour)
	fp := ssh.FingerprintSHA256(goEd25519.PublicKey())

	tests := []struct {
		name, allowed, identity string
		wantPrincipal, wantErr  string
	}{
		{"identity listed", "alice@example.com %ED%", "alice@example.com", "alice@example.com", ""},
		{"identity among several", "bob@example.com,alice@example.com %ED%", "alice@example.com", "alice@example.com", ""},
		{"identity matches *", "*@example.com %ED%", "alice@example.com", "alice@example.com", ""},
		{"identity matches ?", "alic?@example.com %ED%", "alice@example.com", "alice@example.com", ""},
		{"second line lists the key", "alice@example.com %OTHER%\nalice@example.com %ED%", "alice@example.com", "alice@example.com", ""},
		{"namespace pattern allows", "alice@example.com namespaces=\"git,credreview-*\" %ED%", "alice@example.com", "alice@example.com", ""},
		{"inside valid times", "alice@example.com valid-after=\"" + yesterday + "\",valid-before=\"" + tomorrow + "\" %ED%", "alice@example.com", "alice@example.com", ""},
		{"no identity: first principal of the key's line", "bob@example.com %OTHER%\nalice@example.com,al@example.com %ED%", "", "alice@example.com", ""},
		{"no identity: exclusions are not principals", "!mallory@example.com,alice@example.com %ED%", "", "alice@example.com", ""},
		{"no identity: a line for another namespace is passed over", "alice@example.com namespaces=\"git\" %ED%\ncarol@example.com %ED%", "", "carol@example.com", ""},

		{"principal mismatch", "bob@example.com %ED%", "alice@example.com", "", `the signing key ` + fp + ` is allowed for bob@example.com (allowed signers line 1), not for "alice@example.com"`},
		{"identity excluded by !pattern", "!alice@example.com,*@example.com %ED%", "alice@example.com", "", `is allowed for !alice@example.com,*@example.com (allowed signers line 1), not for "alice@example.com"`},
		{"principals are case-sensitive", "Alice@example.com %ED%", "alice@example.com", "", `not for "alice@example.com"`},
		{"key not in allowed signers", "alice@example.com %OTHER%", "alice@example.com", "", "the signing key " + fp + " (ssh-ed25519) is not in the allowed signers"},
		{"key not in allowed signers, no identity", "alice@example.com %OTHER%", "", "", "is not in the allowed signers"},
		{"namespace not allowed", "alice@example.com namespaces=\"git,file\" %ED%", "alice@example.com", "", `allowed signers line 1 allows the signing key ` + fp + ` only for namespaces git,file, not "credreview-test@credreview"`},
		{"namespace excluded by !pattern", "alice@example.com namespaces=\"*,!credreview-*\" %ED%", "alice@example.com", "", "only for namespaces *,!credreview-*"},
		{"key expired", "alice@example.com valid-before=\"" + yesterday + "\" %ED%", "alice@example.com", "", "allowed signers line 1: the signing key " + fp + " expired at"},
		{"key not yet valid", "alice@example.com valid-after=\"" + tomorrow + "\" %ED%", "alice@example.com", "", "allowed signers line 1: the signing key " + fp + " is not valid until"},
		{"the line naming the identity explains", "bob@example.com %ED%\nalice@example.com namespaces=\"git\" %ED%\ncarol@example.com %ED%", "alice@example.com", "", "allowed signers line 2 allows the signing key"},
		{"no allowed signers", "# nobody\n", "alice@example.com", "", "there are no allowed signers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allowed, err := ParseAllowedSigners(strings.NewReader(expand(tt.allowed)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := VerifyAllowed(sig, bytes.NewReader(msg), testNS, tt.identity, allowed)
			if tt.wantErr != "" {
				wantErr(t, err, tt.wantErr)
				if got.Key != nil {
					t.Errorf("got signer %+v, want none", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Principal != tt.wantPrincipal || got.Fingerprint != fp {
				t.Errorf("got %q %q, want %q %q", got.Principal, got.Fingerprint, tt.wantPrincipal, fp)
			}
			if got.Key == nil || !bytes.Equal(got.Key.Marshal(), goEd25519.PublicKey().Marshal()) {
				t.Errorf("got key %v, want goEd25519's", got.Key)
			}
		})
	}

	t.Run("verification fails before the list is read", func(t *testing.T) {
		allowed, _ := ParseAllowedSigners(strings.NewReader(expand("alice@example.com %ED%")))
		_, err := VerifyAllowed(sig, strings.NewReader("another report\n"), testNS, "alice@example.com", allowed)
		wantErr(t, err, "the signature does not match the message")
		_, err = VerifyAllowed(sig, bytes.NewReader(msg), "other@credreview", "alice@example.com", allowed)
		wantErr(t, err, `the signature is for namespace "credreview-test@credreview", not "other@credreview"`)
	})
	t.Run("an entry with no key is passed over", func(t *testing.T) {
		_, err := VerifyAllowed(sig, bytes.NewReader(msg), testNS, "alice@example.com", []AllowedSigner{{Principals: []string{"alice@example.com"}}})
		wantErr(t, err, "is not in the allowed signers")
	})
}

func TestVerifyAllowedRefusesCertificates(t *testing.T) {
	goKeys(t)
	cert := &ssh.Certificate{Key: goEd25519.PublicKey(), CertType: ssh.UserCert, ValidPrincipals: []string{"alice@example.com"}, ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, goOther); err != nil {
		t.Fatal(err)
	}
	certSigner, err := ssh.NewCertSigner(cert, goEd25519)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("report\n")
	sig := mustSign(t, certSigner, testNS, msg)

	// Verify, like ssh-keygen -Y check-novalidate, accepts it...
	key, err := Verify(sig, bytes.NewReader(msg), testNS)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := key.(*ssh.Certificate); !ok {
		t.Errorf("got key of type %T, want *ssh.Certificate", key)
	}
	// ...but no allowed signers entry can list it.
	allowed, _ := ParseAllowedSigners(strings.NewReader(expand("alice@example.com %ED%")))
	_, err = VerifyAllowed(sig, bytes.NewReader(msg), testNS, "alice@example.com", allowed)
	wantErr(t, err, "the signature was made with an SSH certificate")
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		s, p string
		want bool
	}{
		{"alice@example.com", "alice@example.com", true},
		{"alice@example.com", "*", true},
		{"", "*", true},
		{"", "", true},
		{"a", "", false},
		{"alice@example.com", "*@example.com", true},
		{"alice@example.org", "*@example.com", false},
		{"alice@example.com", "a*e*e*m", true},
		{"alice@example.com", "a*e*e*x", false},
		{"alice@example.com", "?lice@example.co?", true},
		{"alice@example.com", "?lice@example.co??", false},
		{"ALICE@example.com", "alice@example.com", false},
		{"a[b]c", "a[b]c", true}, // no character classes, unlike path.Match
		{"ab", "a\\b", false},    // nor escapes
		{strings.Repeat("a", 5000) + "b", strings.Repeat("*a", 50) + "*c", false},
	}
	for _, tt := range tests {
		if got := matchPattern(tt.s, tt.p); got != tt.want {
			t.Errorf("matchPattern(%q, %q): got %v, want %v", tt.s, tt.p, got, tt.want)
		}
	}
	lists := []struct {
		s        string
		patterns []string
		want     bool
	}{
		{"alice", []string{"bob", "alice"}, true},
		{"alice", []string{"!alice", "*"}, false},
		{"alice", []string{"*", "!alice"}, false},
		{"bob", []string{"*", "!alice"}, true},
		{"alice", []string{"!bob"}, false}, // an exclusion alone allows nobody
		{"alice", nil, false},
	}
	for _, tt := range lists {
		if got := matchList(tt.s, tt.patterns); got != tt.want {
			t.Errorf("matchList(%q, %q): got %v, want %v", tt.s, tt.patterns, got, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"20260131", time.Date(2026, 1, 31, 0, 0, 0, 0, time.Local)},
		{"20260131Z", time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)},
		{"20260131z", time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)},
		{"202601311205", time.Date(2026, 1, 31, 12, 5, 0, 0, time.Local)},
		{"20260131120559UTC", time.Date(2026, 1, 31, 12, 5, 59, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseTime(%q): got %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "Z", "2026-01-31", "2026013", "20260131T1200", "+0260131", "20260230", "19700101Z", "20260131120559GMT"} {
		if got, err := parseTime(bad); err == nil {
			t.Errorf("parseTime(%q): got %v, want an error", bad, got)
		}
	}
}

func TestFirstPrincipal(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
	}{
		{[]string{"a", "b"}, "a"},
		{[]string{"!a", "b"}, "b"},
		{[]string{"!a"}, ""},
		{nil, ""},
	} {
		if got := firstPrincipal(tt.in); got != tt.want {
			t.Errorf("firstPrincipal(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
