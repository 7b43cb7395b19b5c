package iamfake

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Moto starts moto's IAM server (python3 -m moto.server), an emulator of
// AWS that no one here wrote, on a free port of 127.0.0.1, for as long as
// the test runs. It returns it as a Server whose URL is moto's, so that
// CLIEnv and RunCLI point the real AWS CLI at it; the fake's own store,
// record and faults are not used, and Close must not be called (the test's
// cleanup stops moto). The test skips where moto is missing, unless
// CREDREVIEW_REQUIRE_TOOLS is set.
//
// moto serves every service on the one port: IAM, and STS for
// GetCallerIdentity (account 123456789012). It writes its own quirks:
// a fixed GeneratedTime of 2015, no root row.
func Moto(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: this test starts moto's server")
	}
	python, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(python, "-c", "import moto.server").Run()
	}
	if err != nil {
		if os.Getenv("CREDREVIEW_REQUIRE_TOOLS") != "" {
			t.Fatalf("moto's server (python3 -m moto.server) is missing, and CREDREVIEW_REQUIRE_TOOLS is set: %v", err)
		}
		t.Skipf("moto's server (python3 -m moto.server) is missing: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, python, "-m", "moto.server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	logged := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
		}
		close(logged)
	}()
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		<-logged
		if t.Failed() {
			t.Logf("moto's log:\n%s", log.String())
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto's server did not answer on %s within a minute: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return &Server{Server: &httptest.Server{URL: url}, Faults: map[string][]Fault{}}
}
