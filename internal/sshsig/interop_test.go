package sshsig

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// interopMessage has a binary part and no final newline, so that neither
// side can get away with treating it as text.
var interopMessage = []byte("credential report evidence\r\n\x00\xff\xfe binary tail")

// ns40 is a namespace that makes an ed25519 signature's base64 exactly four
// armor lines of 70: the case where ssh-keygen writes no short last line.
const ns40 = "0123456789012345678901234567890123456789"

// allowedFile writes an allowed signers file listing each key for
// NAME@example.com; the ed25519 key also for a second principal, so that
// find-principals has more than one to print.
func allowedFile(t *testing.T, dir string, keys []keyFile, options string) (string, []AllowedSigner) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# written by the test\n\n")
	for _, k := range keys {
		principals := k.name + "@example.com"
		if k.name == "ed25519" {
			principals += ",second@example.com"
		}
		if options != "" {
			principals += " " + options
		}
		fmt.Fprintf(&b, "%s %s\n", principals, authorizedKey(k.signer.PublicKey()))
	}
	path := filepath.Join(dir, "allowed_signers")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	allowed, err := ParseAllowedSigners(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return path, allowed
}

// TestSSHKeygenSignsWeVerify: what ssh-keygen -Y sign writes, Verify and
// VerifyAllowed accept, and for ed25519 Sign writes the very same bytes.
func TestSSHKeygenSignsWeVerify(t *testing.T) {
	keys := sshKeys(t)
	keygen := tool(t, "ssh-keygen")
	dir := t.TempDir()
	_, allowed := allowedFile(t, dir, keys, "")

	// One ssh-keygen run per signature: sha512 (the default) for every
	// key, sha256 for two, and a namespace that fills the armor lines.
	type signed struct {
		name, key, namespace, hash string
		k                          keyFile
	}
	var cases []signed
	for _, k := range keys {
		cases = append(cases, signed{k.name, k.name, testNS, "sha512", k})
		if k.name == "ed25519" || k.name == "rsa2048" {
			cases = append(cases, signed{k.name + "-sha256", k.name, testNS, "sha256", k})
		}
		if k.name == "ed25519" {
			cases = append(cases, signed{k.name + "-namespace40", k.name, ns40, "sha512", k})
		}
	}
	for _, c := range cases {
		file := filepath.Join(dir, c.name)
		if err := os.WriteFile(file, interopMessage, 0o644); err != nil {
			t.Fatal(err)
		}
		args := []string{"-Y", "sign", "-f", c.k.path, "-n", c.namespace}
		if c.hash != "sha512" {
			args = append(args, "-O", "hashalg="+c.hash)
		}
		mustRun(t, nil, nil, keygen, append(args, file)...)
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sig, err := os.ReadFile(filepath.Join(dir, c.name+".sig"))
			if err != nil {
				t.Fatal(err)
			}
			wantFP := ssh.FingerprintSHA256(c.k.signer.PublicKey())

			key, err := Verify(sig, bytes.NewReader(interopMessage), c.namespace)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got := ssh.FingerprintSHA256(key); got != wantFP {
				t.Errorf("Verify returned key %q, want %q", got, wantFP)
			}
			blob, _ := dearmor(sig)
			if p, err := parseBlob(blob); err != nil || p.hashAlg != c.hash {
				t.Errorf("hash algorithm: got %v (%v), want %q", p, err, c.hash)
			}

			if c.namespace == testNS {
				identity := c.key + "@example.com"
				s, err := VerifyAllowed(sig, bytes.NewReader(interopMessage), testNS, identity, allowed)
				if err != nil {
					t.Fatalf("VerifyAllowed: %v", err)
				}
				if s.Principal != identity || s.Fingerprint != wantFP {
					t.Errorf("VerifyAllowed: got %q %q, want %q %q", s.Principal, s.Fingerprint, identity, wantFP)
				}
				s, err = VerifyAllowed(sig, bytes.NewReader(interopMessage), testNS, "", allowed)
				if err != nil {
					t.Fatalf("VerifyAllowed without identity: %v", err)
				}
				if s.Principal != identity {
					t.Errorf("VerifyAllowed without identity: got principal %q, want %q", s.Principal, identity)
				}
			}

			if c.key == "ed25519" && c.hash == "sha512" {
				ours := mustSign(t, c.k.signer, c.namespace, interopMessage)
				if !bytes.Equal(ours, sig) {
					t.Errorf("Sign wrote\n%s\nssh-keygen wrote\n%s", ours, sig)
				}
			}
		})
	}
}

// TestWeSignSSHKeygenVerifies: what Sign writes, ssh-keygen -Y verify (with
// an allowed signers file) and -Y check-novalidate accept, and -Y
// find-principals names the principal VerifyAllowed names.
func TestWeSignSSHKeygenVerifies(t *testing.T) {
	keys := sshKeys(t)
	keygen := tool(t, "ssh-keygen")
	dir := t.TempDir()
	allowedPath, allowed := allowedFile(t, dir, keys, `namespaces="credreview-*"`)

	for _, k := range keys {
		t.Run(k.name, func(t *testing.T) {
			sigPath := filepath.Join(dir, k.name+".sig")
			sig := mustSign(t, k.signer, testNS, interopMessage)
			if err := os.WriteFile(sigPath, sig, 0o644); err != nil {
				t.Fatal(err)
			}
			identity := k.name + "@example.com"
			code, out, errs := run(t, nil, interopMessage, keygen, "-Y", "verify", "-f", allowedPath, "-I", identity, "-n", testNS, "-s", sigPath)
			if code != 0 {
				t.Errorf("ssh-keygen -Y verify: exit %d: %s%s", code, out, errs)
			}
			if want := fmt.Sprintf("Good %q signature for %s", testNS, identity); !strings.Contains(out, want) {
				t.Errorf("ssh-keygen -Y verify printed %q, want %q", out, want)
			}
			code, out, errs = run(t, nil, interopMessage, keygen, "-Y", "check-novalidate", "-n", testNS, "-s", sigPath)
			if code != 0 {
				t.Errorf("ssh-keygen -Y check-novalidate: exit %d: %s%s", code, out, errs)
			}
		})
	}

	ed := keys[0]
	sigPath := filepath.Join(dir, ed.name+".sig")
	sig, err := os.ReadFile(sigPath)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("altered message refused by ssh-keygen too", func(t *testing.T) {
		altered := bytes.Clone(interopMessage)
		altered[0] ^= 1
		if code, out, _ := run(t, nil, altered, keygen, "-Y", "verify", "-f", allowedPath, "-I", "ed25519@example.com", "-n", testNS, "-s", sigPath); code == 0 {
			t.Errorf("ssh-keygen -Y verify accepted an altered message: %s", out)
		}
	})

	t.Run("find-principals", func(t *testing.T) {
		out := mustRun(t, nil, nil, keygen, "-Y", "find-principals", "-f", allowedPath, "-s", sigPath)
		first, _, _ := strings.Cut(out, "\n")
		s, err := VerifyAllowed(sig, bytes.NewReader(interopMessage), testNS, "", allowed)
		if err != nil {
			t.Fatal(err)
		}
		if s.Principal != first {
			t.Errorf("got principal %q, want %q (ssh-keygen -Y find-principals printed %q)", s.Principal, first, out)
		}
	})
}
