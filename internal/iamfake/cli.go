package iamfake

import (
	"bufio"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
		"LANG=C.UTF-8", // as it is, Python would set LC_CTYPE itself (PEP 538), and RunCLI must send the environment the CLI sees
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

// CLIRun is what one run of the AWS CLI did.
type CLIRun struct {
	Code           int
	Stdout, Stderr string
}

// RunCLI runs the real AWS CLI once for each argument list (what follows
// "aws"), against this endpoint, and returns what each run did, in order.
// The runs go straight to a warm CLI server (see CLIEnv), with no shell and
// no client process in between, several at a time: a test can hand
// hundreds of names to the CLI's own argument parser in seconds, one CLI
// setup for all of them.
func (s *Server) RunCLI(t testing.TB, argvs [][]string) []CLIRun {
	t.Helper()
	env, _ := s.cliEnv(t)
	s.mu.Lock()
	if s.batch == nil {
		sock, log := startWarm(t, env)
		s.batch = &warmSocket{sock: sock}
		s.warmLogs = append(s.warmLogs, log)
	}
	w := s.batch
	s.mu.Unlock()
	envMap := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		envMap[k] = v
	}
	dir := t.TempDir()
	out := make([]CLIRun, len(argvs))
	errs := make([]error, len(argvs))
	sem := make(chan bool, 4)
	var wg sync.WaitGroup
	for i, argv := range argvs {
		wg.Add(1)
		sem <- true
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], errs[i] = w.run(append([]string{"--endpoint-url", s.URL}, argv...), dir, envMap, i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// warmSocket is a warm CLI server that RunCLI talks to directly.
type warmSocket struct{ sock string }

// run speaks warmcli.py's protocol: a length, a JSON request and the
// command's standard input, output and error as file descriptors; the
// answer is the exit code.
func (w *warmSocket) run(argv []string, dir string, env map[string]string, n int) (CLIRun, error) {
	var r CLIRun
	stdin, err := os.Open(os.DevNull)
	if err != nil {
		return r, err
	}
	defer stdin.Close()
	var files [2]*os.File
	for i := range files {
		if files[i], err = os.Create(filepath.Join(dir, fmt.Sprintf("%d.%d", n, i))); err != nil {
			return r, err
		}
		defer files[i].Close()
	}
	body, err := json.Marshal(map[string]any{"argv": argv, "cwd": dir, "env": env})
	if err != nil {
		return r, err
	}
	msg := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	msg = append(msg, body...)
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: w.sock, Net: "unix"})
	if err != nil {
		return r, err
	}
	defer conn.Close()
	rights := syscall.UnixRights(int(stdin.Fd()), int(files[0].Fd()), int(files[1].Fd()))
	first := min(len(msg), 65536)
	if _, _, err := conn.WriteMsgUnix(msg[:first], rights, nil); err != nil {
		return r, err
	}
	if _, err := conn.Write(msg[first:]); err != nil {
		return r, err
	}
	rc, err := io.ReadAll(conn)
	if err != nil {
		return r, err
	}
	if r.Code, err = strconv.Atoi(strings.TrimSpace(string(rc))); err != nil {
		return r, fmt.Errorf("the warm AWS CLI server answered %q: %v", rc, err)
	}
	for i, f := range files {
		b, err := os.ReadFile(f.Name())
		if err != nil {
			return r, err
		}
		*[]*string{&r.Stdout, &r.Stderr}[i] = string(b)
	}
	return r, nil
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
