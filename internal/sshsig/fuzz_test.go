package sshsig

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzVerify: no input makes Verify or VerifyAllowed panic, each returns a
// key or an error and never both, and a signature accepted is one for the
// namespace asked. The seed is a real ssh-keygen signature.
func FuzzVerify(f *testing.F) {
	goKeys(f)
	sig := []byte(keygenSignature)
	f.Add(sig, []byte(keygenMessage), testNS)
	f.Add(sig[:len(sig)/2], []byte(keygenMessage), testNS)
	f.Add(bytes.ReplaceAll(sig, []byte("\n"), []byte("\r\n")), []byte(keygenMessage), testNS)
	f.Add([]byte(armorBegin+"\n"+armorEnd+"\n"), []byte{}, "x")
	if blob, err := dearmor(sig); err == nil {
		f.Add(blob, []byte(keygenMessage), testNS) // armored by the fuzz function
	}
	allowed, err := ParseAllowedSigners(strings.NewReader(expand("alice@example.com,*@example.org namespaces=\"credreview-*\" %ED%\nbob@example.com %OTHER%\n")))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in, msg []byte, namespace string) {
		// Once as it is, and once armored, so that mutations reach the
		// blob parser without having to keep the base64 valid.
		for _, armored := range [][]byte{in, armor(in)} {
			key, err := Verify(armored, bytes.NewReader(msg), namespace)
			if (key == nil) == (err == nil) {
				t.Fatalf("Verify returned key %v and error %v", key, err)
			}
			if err == nil {
				blob, _ := dearmor(armored)
				if p, perr := parseBlob(blob); perr != nil || p.namespace != namespace {
					t.Fatalf("Verify accepted a signature for namespace %v (%v), asked for %q", p, perr, namespace)
				}
			}
			s, err := VerifyAllowed(armored, bytes.NewReader(msg), namespace, "", allowed)
			if (s.Key == nil) == (err == nil) {
				t.Fatalf("VerifyAllowed returned %+v and error %v", s, err)
			}
			VerifyAllowed(armored, bytes.NewReader(msg), namespace, "alice@example.com", allowed)
		}
	})
}

// FuzzParseAllowedSigners: no file makes ParseAllowedSigners panic, and
// every entry it returns has principals, a key and a line number.
func FuzzParseAllowedSigners(f *testing.F) {
	goKeys(f)
	f.Add(expand("# c\n\"a@x,b@y\" NAMESPACES=\"file,c-*\",valid-after=\"20250101Z\",valid-before=\"20300101\" %ED% comment\n*,!m %OTHER%\r\n"))
	f.Add(expand("a@x cert-authority %ED%\n"))
	f.Add(expand("a@x namespaces=\"a\\\"b\" %ED%\n"))
	f.Fuzz(func(t *testing.T, file string) {
		entries, err := ParseAllowedSigners(strings.NewReader(file))
		if err != nil && entries != nil {
			t.Fatalf("got entries and error %v", err)
		}
		for _, e := range entries {
			if len(e.Principals) == 0 || e.Key == nil || e.Line < 1 {
				t.Fatalf("incomplete entry %+v", e)
			}
		}
	})
}
