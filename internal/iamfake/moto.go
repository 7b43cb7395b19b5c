package iamfake

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
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

// motoGeneratedTime is the GeneratedTime moto writes on every report.
const motoGeneratedTime = "2015-02-02T20:02:02Z"

// MotoAsIAM is Moto behind a proxy on 127.0.0.1 that gives each credential
// report the GeneratedTime IAM would: the second its generation was asked
// for, rather than moto's fixed one of 2015. Everything else passes
// unchanged. It is for the tests of the whole loop, where a later report
// must be seen to be later, as IAM's are.
func MotoAsIAM(t testing.TB) *Server {
	t.Helper()
	m := Moto(t)
	target, err := url.Parse(m.URL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	generated := time.Now().UTC()
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Header.Get("X-Credreview-Action") != "GetCredentialReport" {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		mu.Lock()
		when := generated.Format("2006-01-02T15:04:05Z")
		mu.Unlock()
		b = bytes.ReplaceAll(b, []byte(motoGeneratedTime), []byte(when))
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", fmt.Sprint(len(b)))
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		action := form.Get("Action")
		if action == "GenerateCredentialReport" {
			mu.Lock()
			generated = time.Now().UTC().Truncate(time.Second)
			mu.Unlock()
		}
		r.Header.Set("X-Credreview-Action", action)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return &Server{Server: &httptest.Server{URL: srv.URL}, Faults: map[string][]Fault{}}
}
