package sshsig

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Every package takes -update, because make update passes it to all.
var _ = flag.Bool("update", false, "rewrite golden files (none in this package)")

const testNS = "credreview-test@credreview"

// tool returns the path of an OpenSSH program. Tests that start programs
// are skipped under -short, and when the program is missing, unless
// CREDREVIEW_REQUIRE_TOOLS is set: then a missing program fails the test.
func tool(t *testing.T, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: this test starts %s", name)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CREDREVIEW_REQUIRE_TOOLS") != "" {
			t.Fatalf("%s is needed (CREDREVIEW_REQUIRE_TOOLS is set): %v", name, err)
		}
		t.Skipf("%s is not installed: %v", name, err)
	}
	return p
}

// run starts a program and returns its exit code and output; stdin may be
// nil. A program that cannot be started fails the test.
func run(t *testing.T, env []string, stdin []byte, name string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errb.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String(), errb.String()
	}
	t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	return 0, "", ""
}

// mustRun is run for a command that has to succeed.
func mustRun(t *testing.T, env []string, stdin []byte, name string, args ...string) string {
	t.Helper()
	code, out, errs := run(t, env, stdin, name, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d: %s", name, strings.Join(args, " "), code, errs)
	}
	return out
}

// keyFile is a key ssh-keygen made, with its file and a signer for it.
type keyFile struct {
	name   string // ed25519, ecdsa256, ...
	path   string // the private key; path+".pub" is the public key
	signer ssh.Signer
}

var (
	keysOnce sync.Once
	keysDir  string
	keysList []keyFile
	keysErr  error
)

// cleanups remove what fixtures shared by several tests left behind.
var cleanups []func()

// TestMain removes the key files made once for the package's tests.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	os.Exit(code)
}

// sshKeys makes one unencrypted key of each type with ssh-keygen, once for
// all the package's tests (RSA keys are slow to make), in parallel. The
// files must not be changed; copy them first.
func sshKeys(t *testing.T) []keyFile {
	t.Helper()
	keygen := tool(t, "ssh-keygen")
	keysOnce.Do(func() {
		keysDir, keysErr = os.MkdirTemp("", "sshsig-keys")
		if keysErr != nil {
			return
		}
		cleanups = append(cleanups, func() { os.RemoveAll(keysDir) })
		specs := []struct{ name, typ, bits string }{
			{"ed25519", "ed25519", ""},
			{"ecdsa256", "ecdsa", "256"},
			{"ecdsa384", "ecdsa", "384"},
			{"ecdsa521", "ecdsa", "521"},
			{"rsa2048", "rsa", "2048"},
		}
		keysList = make([]keyFile, len(specs))
		errs := make([]error, len(specs))
		var wg sync.WaitGroup
		for i, s := range specs {
			wg.Go(func() {
				path := filepath.Join(keysDir, s.name)
				args := []string{"-q", "-t", s.typ, "-N", "", "-C", s.name + "@example.com", "-f", path}
				if s.bits != "" {
					args = append(args, "-b", s.bits)
				}
				if out, err := exec.Command(keygen, args...).CombinedOutput(); err != nil {
					errs[i] = errors.New("ssh-keygen " + strings.Join(args, " ") + ": " + err.Error() + ": " + string(out))
					return
				}
				pemBytes, err := os.ReadFile(path)
				if err != nil {
					errs[i] = err
					return
				}
				signer, err := ssh.ParsePrivateKey(pemBytes)
				if err != nil {
					errs[i] = err
					return
				}
				keysList[i] = keyFile{name: s.name, path: path, signer: signer}
			})
		}
		wg.Wait()
		keysErr = errors.Join(errs...)
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	return keysList
}

// authorizedKey is the public key as a .pub line without the newline.
func authorizedKey(k ssh.PublicKey) string {
	return strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(k)), "\n")
}

// Keys made in Go, for the tests that start no program.
var (
	goKeysOnce sync.Once
	goKeysErr  error
	goEd25519  ssh.Signer // from a fixed seed, so its signatures are fixed
	goOther    ssh.Signer // another ed25519 key
	goECDSA    ssh.Signer
)

func goKeys(t testing.TB) {
	t.Helper()
	goKeysOnce.Do(func() {
		var errs [4]error
		goEd25519, errs[0] = ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)))
		goOther, errs[1] = ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize)))
		var ec *ecdsa.PrivateKey
		if ec, errs[2] = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); errs[2] == nil {
			goECDSA, errs[3] = ssh.NewSignerFromKey(ec)
		}
		goKeysErr = errors.Join(errs[:]...)
	})
	if goKeysErr != nil {
		t.Fatal(goKeysErr)
	}
}

// mustSign is Sign for a message held in memory.
func mustSign(t *testing.T, s ssh.Signer, namespace string, msg []byte) []byte {
	t.Helper()
	sig, err := Sign(s, namespace, bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// wantErr checks that err is an error containing want.
func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("got error %q, want one containing %q", err, want)
	}
}
