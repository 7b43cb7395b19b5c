package sshsig

import (
	"bytes"
	"crypto/ed25519"
	"encoding/pem"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// keyFiles are the files LoadSigner is tried on.
type keyFiles struct {
	encrypted string // passphrase "secret", with a .pub
	plain     string // no passphrase, with a .pub
	other     string // any other key's private file, with a .pub
}

var (
	goFilesOnce sync.Once
	goFiles     keyFiles
	goFilesErr  error
)

// goKeyFiles writes the key files with x/crypto, once (encrypting is slow
// on purpose), for the tests that start no program. The files must not be
// changed; copy them first.
func goKeyFiles(t *testing.T) keyFiles {
	t.Helper()
	goKeys(t)
	goFilesOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sshsig-gokeys")
		if err != nil {
			goFilesErr = err
			return
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		write := func(name string, priv any, pub ssh.PublicKey, pass string) string {
			var block *pem.Block
			var err error
			if pass == "" {
				block, err = ssh.MarshalPrivateKey(priv, name)
			} else {
				block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, name, []byte(pass))
			}
			path := filepath.Join(dir, name)
			if err == nil {
				err = os.WriteFile(path, pem.EncodeToMemory(block), 0o600)
			}
			if err == nil {
				err = os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(pub), 0o644)
			}
			goFilesErr = errors.Join(goFilesErr, err)
			return path
		}
		_, k1, _ := ed25519.GenerateKey(nil)
		s1, _ := ssh.NewSignerFromKey(k1)
		_, k2, _ := ed25519.GenerateKey(nil)
		s2, _ := ssh.NewSignerFromKey(k2)
		goFiles = keyFiles{
			encrypted: write("encrypted", k1, s1.PublicKey(), "secret"),
			plain:     write("plain", k2, s2.PublicKey(), ""),
			other:     write("other", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize)), goOther.PublicKey(), ""),
		}
	})
	if goFilesErr != nil {
		t.Fatal(goFilesErr)
	}
	return goFiles
}

// keygenKeyFiles makes an encrypted key with ssh-keygen -N secret; the
// others come from sshKeys.
func keygenKeyFiles(t *testing.T) keyFiles {
	t.Helper()
	keys := sshKeys(t)
	keygen := tool(t, "ssh-keygen")
	enc := filepath.Join(t.TempDir(), "encrypted")
	mustRun(t, nil, nil, keygen, "-q", "-t", "ecdsa", "-N", "secret", "-C", "encrypted", "-f", enc)
	return keyFiles{encrypted: enc, plain: keys[0].path, other: keys[1].path}
}

func TestLoadSigner(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "") // not the agent of whoever runs the tests
	for _, maker := range []struct {
		name  string
		files func(*testing.T) keyFiles
	}{
		{"x/crypto keys", goKeyFiles},
		{"ssh-keygen keys", keygenKeyFiles},
	} {
		t.Run(maker.name, func(t *testing.T) {
			testLoadSigner(t, maker.files(t))
		})
	}
}

func testLoadSigner(t *testing.T, f keyFiles) {
	dir := t.TempDir()
	copyFile := func(from, to string) string {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		to = filepath.Join(dir, to)
		if err := os.WriteFile(to, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return to
	}
	noPub := copyFile(f.encrypted, "encrypted-without-pub")
	wrongPub := copyFile(f.encrypted, "encrypted-wrong-pub")
	copyFile(f.other+".pub", "encrypted-wrong-pub.pub")
	plainWrongPub := copyFile(f.plain, "plain-wrong-pub")
	copyFile(f.other+".pub", "plain-wrong-pub.pub")
	notKey := filepath.Join(dir, "notes.txt")
	os.WriteFile(notKey, []byte("not a key\n"), 0o600)
	badPub := copyFile(f.plain, "bad-pub")
	os.WriteFile(badPub+".pub", []byte("ssh-ed25519 AAAA\n"), 0o644)

	secret := func() ([]byte, error) { return []byte("secret"), nil }
	unreadable := errors.New("no terminal")
	tests := []struct {
		name       string
		keyFile    string
		passphrase func() ([]byte, error)
		wantCalls  int    // times passphrase is called
		wantPub    string // the key whose public half the signer must have
		wantErr    string
	}{
		{"encrypted key, passphrase asked once", f.encrypted, secret, 1, f.encrypted + ".pub", ""},
		{"encrypted key without .pub", noPub, secret, 1, f.encrypted + ".pub", ""},
		{"unencrypted key, no passphrase asked", f.plain, secret, 0, f.plain + ".pub", ""},
		{"unencrypted key, no terminal", f.plain, nil, 0, f.plain + ".pub", ""},
		{"encrypted key, no terminal", f.encrypted, nil, 0, "", "is encrypted, and there is no terminal to ask for its passphrase; add it to ssh-agent (ssh-add " + f.encrypted + ")"},
		{"wrong passphrase", f.encrypted, func() ([]byte, error) { return []byte("guess"), nil }, 1, "", "wrong passphrase for " + f.encrypted},
		{"passphrase cannot be read", f.encrypted, func() ([]byte, error) { return nil, unreadable }, 1, "", "read the passphrase of " + f.encrypted + ": no terminal"},
		{".pub of another key, encrypted", wrongPub, secret, 0, "", wrongPub + ".pub does not belong to " + wrongPub},
		{".pub of another key, unencrypted", plainWrongPub, secret, 0, "", plainWrongPub + ".pub does not belong to " + plainWrongPub},
		{".pub damaged", badPub, secret, 0, "", badPub + ".pub is not a public key"},
		{"public key given, no agent", f.plain + ".pub", secret, 0, "", "is a public key, and ssh-agent does not hold its private half"},
		{"not a key", notKey, secret, 0, "", notKey + " is not an OpenSSH private key"},
		{"no such file", filepath.Join(dir, "missing"), secret, 0, "", "read the signing key: open " + filepath.Join(dir, "missing")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			var pass func() ([]byte, error)
			if tt.passphrase != nil {
				pass = func() ([]byte, error) { calls++; return tt.passphrase() }
			}
			s, err := LoadSigner(tt.keyFile, pass)
			if calls != tt.wantCalls {
				t.Errorf("passphrase asked %d times, want %d", calls, tt.wantCalls)
			}
			if tt.wantErr != "" {
				wantErr(t, err, tt.wantErr)
				if s != nil {
					t.Errorf("got a signer, want none")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(tt.wantPub)
			if err != nil {
				t.Fatal(err)
			}
			want, _, _, _, err := ssh.ParseAuthorizedKey(b)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ssh.FingerprintSHA256(s.PublicKey()), ssh.FingerprintSHA256(want); got != want {
				t.Errorf("got key %q, want %q", got, want)
			}
			sig := mustSign(t, s, testNS, []byte("m"))
			if _, err := Verify(sig, strings.NewReader("m"), testNS); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("missing file wraps fs.ErrNotExist", func(t *testing.T) {
		_, err := LoadSigner(filepath.Join(dir, "missing"), nil)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("got %v, want it to wrap fs.ErrNotExist", err)
		}
	})
}

// startAgent starts ssh-agent on a socket of its own, stopped when the test
// ends, and sets SSH_AUTH_SOCK to it.
func startAgent(t *testing.T) string {
	t.Helper()
	agentPath := tool(t, "ssh-agent")
	// A short directory: a unix socket's path is limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "sshsig-agent")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "agent.sock")
	cmd := exec.Command(agentPath, "-D", "-a", sock)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ssh-agent made no socket in 10s: %s", out.String())
		}
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	return sock
}

// TestLoadSignerAgent: when ssh-agent holds the key, LoadSigner signs
// through it and asks no passphrase, even though the key file is encrypted;
// RSA keys still sign with rsa-sha2-512.
func TestLoadSignerAgent(t *testing.T) {
	keys := sshKeys(t)
	keygen := tool(t, "ssh-keygen")
	sshAdd := tool(t, "ssh-add")
	startAgent(t)
	ed, rsaKey := keys[0], keys[len(keys)-1]
	mustRun(t, nil, nil, sshAdd, "-q", ed.path, rsaKey.path)

	// An encrypted copy of the ed25519 key the agent holds, with and
	// without its .pub.
	dir := t.TempDir()
	b, err := os.ReadFile(ed.path)
	if err != nil {
		t.Fatal(err)
	}
	enc := filepath.Join(dir, "ed25519")
	if err := os.WriteFile(enc, b, 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, nil, nil, keygen, "-q", "-p", "-P", "", "-N", "secret", "-f", enc)
	encNoPub := filepath.Join(dir, "ed25519-no-pub")
	if b, err = os.ReadFile(enc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(encNoPub, b, 0o600); err != nil {
		t.Fatal(err)
	}
	pubB, err := os.ReadFile(ed.path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(enc+".pub", pubB, 0o644); err != nil {
		t.Fatal(err)
	}
	// An encrypted key the agent does not hold.
	notHeld := filepath.Join(dir, "not-held")
	mustRun(t, nil, nil, keygen, "-q", "-t", "ed25519", "-N", "secret", "-f", notHeld)

	msg := []byte("signed through the agent\n")
	fileSig := mustSign(t, ed.signer, testNS, msg)
	noPassphrase := func() ([]byte, error) {
		t.Error("passphrase asked, want the agent to sign")
		return nil, errors.New("no")
	}

	tests := []struct {
		name    string
		keyFile string
		key     keyFile
	}{
		{"encrypted key with .pub", enc, ed},
		{"encrypted key without .pub", encNoPub, ed},
		{"public key file", ed.path + ".pub", ed},
		{"rsa key", rsaKey.path, rsaKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LoadSigner(tt.keyFile, noPassphrase)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := s.(*viaAgent); !ok {
				t.Fatalf("got a %T, want the agent's signer", s)
			}
			sig := mustSign(t, s, testNS, msg)
			key, err := Verify(sig, bytes.NewReader(msg), testNS)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ssh.FingerprintSHA256(key), ssh.FingerprintSHA256(tt.key.signer.PublicKey()); got != want {
				t.Errorf("got key %q, want %q", got, want)
			}
			if tt.key.name == "ed25519" && !bytes.Equal(sig, fileSig) {
				t.Errorf("the agent's signature\n%s\ndiffers from the key file's\n%s", sig, fileSig)
			}
			blob, _ := dearmor(sig)
			if p, err := parseBlob(blob); err != nil || (tt.key.name == "rsa2048" && p.sig.Format != ssh.KeyAlgoRSASHA512) {
				t.Errorf("got %v (%v), want an rsa-sha2-512 signature", p, err)
			}
		})
	}

	t.Run("key not in the agent, no terminal", func(t *testing.T) {
		_, err := LoadSigner(notHeld, nil)
		wantErr(t, err, "is encrypted, and there is no terminal")
	})
	t.Run("key not in the agent, passphrase", func(t *testing.T) {
		s, err := LoadSigner(notHeld, func() ([]byte, error) { return []byte("secret"), nil })
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.(*viaAgent); ok {
			t.Error("got the agent's signer for a key the agent does not hold")
		}
	})
	t.Run("agent stopped after loading", func(t *testing.T) {
		s, err := LoadSigner(enc, noPassphrase)
		if err != nil {
			t.Fatal(err)
		}
		mustRun(t, nil, nil, sshAdd, "-q", "-D")
		_, err = Sign(s, testNS, bytes.NewReader(msg))
		wantErr(t, err, "ssh-agent did not sign")
	})
}

// TestLoadSignerUnreachableAgent: an SSH_AUTH_SOCK that leads nowhere is
// passed over, as ssh-keygen passes it over.
func TestLoadSignerUnreachableAgent(t *testing.T) {
	f := goKeyFiles(t)
	t.Setenv("SSH_AUTH_SOCK", filepath.Join(t.TempDir(), "no-agent.sock"))
	s, err := LoadSigner(f.plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*viaAgent); ok {
		t.Error("got the agent's signer, want the key file's")
	}
}

// serveKeyring serves x/crypto's in-memory agent on a unix socket until the
// test ends, and sets SSH_AUTH_SOCK to it: the agent path without starting
// ssh-agent.
func serveKeyring(t *testing.T, keys ...any) {
	t.Helper()
	keyring := agent.NewKeyring()
	for _, k := range keys {
		if err := keyring.Add(agent.AddedKey{PrivateKey: k}); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := os.MkdirTemp("", "sshsig-keyring")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
		os.RemoveAll(dir)
	})
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				agent.ServeAgent(keyring, c)
			})
		}
	})
	t.Setenv("SSH_AUTH_SOCK", sock)
}

// TestLoadSignerKeyring is TestLoadSignerAgent's short form, with x/crypto's
// agent in place of ssh-agent.
func TestLoadSignerKeyring(t *testing.T) {
	goKeys(t)
	edKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)) // goEd25519
	rsaSigner := goRSA(t)
	serveKeyring(t, edKey, rsaPriv)

	dir := t.TempDir()
	enc := filepath.Join(dir, "ed25519")
	block, err := ssh.MarshalPrivateKeyWithPassphrase(edKey, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(enc, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	rsaPub := filepath.Join(dir, "rsa.pub")
	if err := os.WriteFile(rsaPub, ssh.MarshalAuthorizedKey(rsaSigner.PublicKey()), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name, keyFile string
		want          ssh.PublicKey
		wantFormat    string
	}{
		{"encrypted key without .pub", enc, goEd25519.PublicKey(), ssh.KeyAlgoED25519},
		{"rsa public key file", rsaPub, rsaSigner.PublicKey(), ssh.KeyAlgoRSASHA512},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LoadSigner(tt.keyFile, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := s.(*viaAgent); !ok {
				t.Fatalf("got a %T, want the agent's signer", s)
			}
			sig := mustSign(t, s, testNS, []byte(keygenMessage))
			key, err := Verify(sig, strings.NewReader(keygenMessage), testNS)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ssh.FingerprintSHA256(key), ssh.FingerprintSHA256(tt.want); got != want {
				t.Errorf("got key %q, want %q", got, want)
			}
			blob, _ := dearmor(sig)
			if p, err := parseBlob(blob); err != nil || p.sig.Format != tt.wantFormat {
				t.Errorf("got %v (%v), want a %s signature", p, err, tt.wantFormat)
			}
			if tt.wantFormat == ssh.KeyAlgoED25519 && string(sig) != keygenSignature {
				t.Errorf("got\n%s\nwant (ssh-keygen's)\n%s", sig, keygenSignature)
			}
		})
	}
}
