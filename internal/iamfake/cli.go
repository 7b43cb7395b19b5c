package iamfake

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// AWSCLI is where Debian's awscli package installs AWS CLI v2. Tests call
// it by path: an older v1 aws may come first on PATH.
const AWSCLI = "/usr/bin/aws"

// RequireTool skips the test when an external program is missing, or fails
// it when CREDREVIEW_REQUIRE_TOOLS is set, as CI sets it: there a missing
// tool is a broken setup, not a reason to pass. Every test that starts a
// program calls it, so that go test -short, the inner loop, skips them all.
func RequireTool(t testing.TB, path string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: this test starts %s", path)
	}
	if _, err := os.Stat(path); err == nil {
		return
	}
	if os.Getenv("CREDREVIEW_REQUIRE_TOOLS") != "" {
		t.Fatalf("%s is missing, and CREDREVIEW_REQUIRE_TOOLS is set", path)
	}
	t.Skipf("%s is missing; install it to run this test", path)
}

//go:embed warmcli.py
var warmServer string

// python is the interpreter of Debian's awscli, which both the warm server
// and its client use.
const python = "/usr/bin/python3"

// CLIEnv returns an environment in which the command "aws" is the real AWS
// CLI talking to this endpoint, with fake credentials and no configuration
// from the machine. The CLI v2 of Debian 12 ignores AWS_ENDPOINT_URL, so
// "aws" adds --endpoint-url.
//
// The CLI is kept warm (warmcli.py): one process imports it once and forks
// a child to run each command, which takes a twentieth of the CPU of
// starting /usr/bin/aws. The child runs the code /usr/bin/aws runs, with the
// caller's arguments, directory and standard streams, and a caller whose
// environment differs in anything the CLI reads gets the cold program;
// TestWarmCLIIsTheCLI holds the two to the same answers.
func (s *Server) CLIEnv(t testing.TB) []string {
	t.Helper()
	env, bin := s.cliEnv(t)
	sock, log := startWarm(t, env)
	s.mu.Lock()
	s.warmLogs = append(s.warmLogs, log)
	s.mu.Unlock()
	prefix, _ := json.Marshal([]string{"--endpoint-url", s.URL})
	client := fmt.Sprintf(`#!%s -S
# aws: run the AWS CLI in the warm server at SOCKET (see warmcli.py).
import json, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(%q)
body = json.dumps({"argv": %s + sys.argv[1:], "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
msg = struct.pack(">I", len(body)) + body
n = socket.send_fds(s, [msg[:65536]], [0, 1, 2])
s.sendall(msg[n:])
rc = s.recv(16)
if not rc:
    sys.stderr.write("aws: the warm AWS CLI server went away\n")
    sys.exit(255)
sys.exit(int(rc))
`, python, sock, prefix)
	writeExecutable(t, filepath.Join(bin, "aws"), client)
	return env
}

// CLIEnvCold is CLIEnv with /usr/bin/aws started for every command, as a
// user's shell starts it.
func (s *Server) CLIEnvCold(t testing.TB) []string {
	t.Helper()
	env, bin := s.cliEnv(t)
	writeExecutable(t, filepath.Join(bin, "aws"), "#!/bin/sh\nexec "+AWSCLI+" --endpoint-url "+s.URL+" \"$@\"\n")
	return env
}

func (s *Server) cliEnv(t testing.TB) (env []string, bin string) {
	t.Helper()
	RequireTool(t, AWSCLI)
	dir := t.TempDir()
	bin = filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{
		"PATH=" + bin + ":/usr/bin:/bin",
		"HOME=" + dir,
		"AWS_ACCESS_KEY_ID=AKIDFAKEFAKEFAKE",
		"AWS_SECRET_ACCESS_KEY=fake",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
	}, bin
}

func writeExecutable(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

// CLICalls counts the commands the warm CLIs of this endpoint ran warm, and
// those they handed to the cold program.
func (s *Server) CLICalls() (warm, cold int) {
	s.mu.Lock()
	logs := append([]string(nil), s.warmLogs...)
	s.mu.Unlock()
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		warm += strings.Count(string(b), "warm\n")
		cold += strings.Count(string(b), "cold\n")
	}
	return warm, cold
}

// startWarm starts a warm CLI server with env and returns its socket and
// log. A socket's path must be short, hence its own directory under /tmp.
func startWarm(t testing.TB, env []string) (sock, log string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "awscli")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	script := filepath.Join(dir, "warmcli.py")
	if err := os.WriteFile(script, []byte(warmServer), 0o644); err != nil {
		t.Fatal(err)
	}
	sock, log = filepath.Join(dir, "s"), filepath.Join(dir, "log")
	cmd := exec.Command(python, script, sock, log)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line == "ready\n"
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the warm AWS CLI server did not start:\n%s", stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the warm AWS CLI server did not start within a minute:\n%s", stderr.String())
	}
	return sock, log
}
