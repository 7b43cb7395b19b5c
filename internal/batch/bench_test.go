package batch_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/credreview/credreview/analyze"
	"github.com/credreview/credreview/internal/batch"
)

var _ = flag.Bool("update", false, "rewrite golden files (none in this package)")

// The batch the targets are stated for: 100 accounts of 5,000 users.
const (
	accounts = 100
	users    = 5000
)

// awk is the one-liner credreview is measured against, run as its usage
// line says.
const awk = "../../../shared/peers/setupkeys.awk"

// TestGeneratorAnswer checks the generator's own answer against an
// analysis of a small batch: the benchmarks rely on both agreeing.
func TestGeneratorAnswer(t *testing.T) {
	b, err := batch.Generate(t.TempDir(), 4, 600)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Findings) < 10 {
		t.Fatalf("only %d findings in the small batch", len(b.Findings))
	}
	res := analyze.Analyze(context.Background(), b.Files, nil, analyze.Options{SetupWindow: batch.Window})
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, batch.Finding{Account: f.AccountID, User: f.User, Slot: f.KeySlot, Severity: f.Severity.String()}.String())
	}
	sort.Strings(got)
	var want []string
	for _, f := range b.Findings {
		want = append(want, f.String())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("analysis and generator disagree: %d findings against %d", len(got), len(want))
	}
	users := 0
	for _, r := range res.Reports {
		users += r.Users
	}
	if users != 4*600 {
		t.Errorf("%d users, want %d", users, 4*600)
	}
}

// env is what the benchmarks share: the batch on disk, credreview built,
// and the gawk one-liner's time on the batch, measured in this run.
type env struct {
	dir, bin string
	batch    *batch.Batch
	gawk     time.Duration
	err      error
}

var (
	setupOnce sync.Once
	shared    env
	buildOnce sync.Once
	bin       string
	buildErr  error
)

// build builds credreview into .bench, once.
func build(b *testing.B) string {
	b.Helper()
	buildOnce.Do(func() {
		root, _ := filepath.Abs("../..")
		bin = filepath.Join(root, ".bench", "credreview")
		if out, err := exec.Command("go", "build", "-o", bin, root).CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return bin
}

func setup(b *testing.B) *env {
	b.Helper()
	e := &shared
	e.bin = build(b)
	setupOnce.Do(func() {
		root, _ := filepath.Abs("../..")
		e.dir = filepath.Join(root, ".bench", "batch")
		if e.batch, e.err = batch.Generate(e.dir, accounts, users); e.err != nil {
			return
		}
		if _, err := exec.LookPath("gawk"); err != nil {
			e.err = fmt.Errorf("gawk is needed to measure against (apt-get install gawk)")
			return
		}
		// The median of five runs, page cache warm.
		var runs []time.Duration
		for range 5 {
			d, _, err := run(context.Background(), exec.Command("gawk", append([]string{"-F,", "-v", "WINDOW=3600", "-f", awk}, e.batch.Files...)...), "TZ=UTC")
			if err != nil {
				e.err = fmt.Errorf("gawk: %v", err)
				return
			}
			runs = append(runs, d)
		}
		e.gawk = median(runs)
		fmt.Printf("batch: %d accounts × %d users, %d rows, %.1f MB, %d setup-time keys; gawk one-liner %.3f s (median of 5)\n",
			accounts, users, e.batch.Rows, float64(e.batch.Bytes)/1e6, len(e.batch.Findings), e.gawk.Seconds())
	})
	if shared.err != nil {
		b.Fatal(shared.err)
	}
	return &shared
}

// run runs a command and returns its wall time and peak resident memory;
// it ends the command when ctx is done.
//
// It runs it through a launcher, this test binary started afresh (see
// TestMain): Linux reports as a process's peak memory at least that of the
// process it was forked from, and this one, which generated the batch,
// holds more than credreview needs for some inputs.
func run(ctx context.Context, cmd *exec.Cmd, env ...string) (time.Duration, int64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, 0, err
	}
	argv, err := json.Marshal(cmd.Args)
	if err != nil {
		return 0, 0, err
	}
	l := exec.CommandContext(ctx, exe) // ending the launcher ends the command

	l.Env = append(append(os.Environ(), env...), launchEnv+"="+string(argv))
	l.Stdin, l.Stdout, l.Stderr = cmd.Stdin, cmd.Stdout, cmd.Stderr
	r, w, err := os.Pipe()
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	l.ExtraFiles = []*os.File{w}
	err = l.Start()
	w.Close()
	if err != nil {
		return 0, 0, err
	}
	report, _ := io.ReadAll(r)
	err = l.Wait()
	var ns, rss int64
	if _, serr := fmt.Sscan(string(report), &ns, &rss); serr != nil && err == nil {
		err = fmt.Errorf("the launcher said %q: %v", report, serr)
	}
	return time.Duration(ns), rss, err
}

// launchEnv, when set, holds the command (JSON) this test binary runs as a
// launcher: it starts the command, waits for it, writes its wall time and
// peak memory to file descriptor 3, and exits as the command did.
const launchEnv = "CREDREVIEW_BENCH_LAUNCH"

func TestMain(m *testing.M) {
	if argv := os.Getenv(launchEnv); argv != "" {
		os.Exit(launch(argv))
	}
	os.Exit(m.Run())
}

func launch(argv string) int {
	var args []string
	if err := json.Unmarshal([]byte(argv), &args); err != nil || len(args) == 0 {
		fmt.Fprintln(os.Stderr, "launch:", argv, err)
		return 125
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // if the launcher is killed, so is the command
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, launchEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	var rss int64
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = ru.Maxrss * 1024 // kilobytes on Linux
		}
	}
	fmt.Fprintf(os.NewFile(3, "report"), "%d %d\n", d.Nanoseconds(), rss)
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode()
	case err != nil:
		fmt.Fprintln(os.Stderr, "launch:", err)
		return 125
	}
	return 0
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// BenchmarkGawk times the one-liner itself.
func BenchmarkGawk(b *testing.B) {
	e := setup(b)
	for b.Loop() {
		if _, _, err := run(context.Background(), exec.Command("gawk", append([]string{"-F,", "-v", "WINDOW=3600", "-f", awk}, e.batch.Files...)...), "TZ=UTC"); err != nil {
			b.Fatal(err)
		}
	}
}

// measure runs credreview analyze on the batch b.N times and reports its
// median time, its ratio to gawk's and its peak memory, each against its
// target.
func measure(b *testing.B, formats string, minRatio float64) {
	e := setup(b)
	var runs []time.Duration
	var peak int64
	var out string
	for i := 0; i < b.N; i++ {
		// Each run writes into a new directory, as a review usually does;
		// the previous run's files are removed first, since replacing tens
		// of megabytes makes the file system free them during the run.
		if out != "" {
			os.RemoveAll(out)
		}
		out = filepath.Join(b.TempDir(), "review")
		d, rss, err := run(context.Background(), exec.Command(e.bin, "analyze", "-q", "-f", formats, "-o", out, e.dir))
		if err != nil {
			b.Fatalf("credreview: %v", err)
		}
		runs = append(runs, d)
		peak = max(peak, rss)
	}
	checkAnswer(b, e, filepath.Join(out, "credential-review.json"))
	if b.N < 3 {
		return // the framework's first, single run: too few to judge
	}
	m := median(runs)
	ratio := e.gawk.Seconds() / m.Seconds()
	b.ReportMetric(m.Seconds()*1000, "ms-median")
	b.ReportMetric(ratio, "x-faster-than-gawk")
	b.ReportMetric(float64(peak)/(1<<20), "MiB-peak-RSS")
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	b.Logf("credreview analyze -f %s: %.3f s, gawk %.3f s: %.1f× faster (target ≥ %g×: %s); peak RSS %.0f MiB (target ≤ 150 MiB: %s); GOMAXPROCS %d",
		formats, m.Seconds(), e.gawk.Seconds(), ratio, minRatio, verdict(ratio >= minRatio), float64(peak)/(1<<20), verdict(peak <= 150<<20), runtime.GOMAXPROCS(0))
	if ratio < minRatio || peak > 150<<20 {
		b.Errorf("a target was missed")
	}
}

// checkAnswer compares the findings credreview wrote with the generator's.
func checkAnswer(b *testing.B, e *env, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var doc struct {
		Findings []struct {
			AccountID string `json:"account_id"`
			User      string `json:"user"`
			KeySlot   int    `json:"key_slot"`
			Severity  string `json:"severity"`
		} `json:"findings"`
		Errors []any `json:"errors"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		b.Fatal(err)
	}
	var got []string
	for _, f := range doc.Findings {
		got = append(got, batch.Finding{Account: f.AccountID, User: f.User, Slot: f.KeySlot, Severity: f.Severity}.String())
	}
	sort.Strings(got)
	want := make([]string, len(e.batch.Findings))
	for i, f := range e.batch.Findings {
		want[i] = f.String()
	}
	if len(doc.Errors) > 0 || !reflect.DeepEqual(got, want) {
		b.Fatalf("the findings differ from the generator's answer: %d against %d, %d errors", len(got), len(want), len(doc.Errors))
	}
}

// BenchmarkAnalyzeJSON is the analysis a pipeline runs: at least ten times
// faster than the gawk one-liner, in at most 150 MiB.
func BenchmarkAnalyzeJSON(b *testing.B) { measure(b, "json", 10) }

// BenchmarkAnalyzePackage writes the whole change-board package: faster
// than the gawk one-liner alone, in at most 150 MiB.
func BenchmarkAnalyzePackage(b *testing.B) { measure(b, "xlsx,md,json", 1) }

// BenchmarkHostile runs credreview on each hostile input beside a good
// report: each must end with an error that names it, in under 30 s and
// 200 MB of peak memory, with the good report's findings in the review.
func BenchmarkHostile(b *testing.B) {
	bin := build(b)
	dir := b.TempDir()
	hostile, err := batch.GenerateHostile(filepath.Join(dir, "hostile"))
	if err != nil {
		b.Fatal(err)
	}
	good, err := batch.Generate(filepath.Join(dir, "good"), 1, 500)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("%-48s %10s %9s %9s  %s\n", fmt.Sprintf("hostile input, worst of %d runs", b.N), "size", "time", "peak RSS", "targets: < 30 s, < 200 MB")
	for _, h := range hostile {
		var worst time.Duration
		var peak int64
		for i := 0; i < b.N; i++ {
			d, rss := runHostile(b, bin, h, good, filepath.Join(dir, fmt.Sprintf("out-%d", i)))
			worst, peak = max(worst, d), max(peak, rss)
		}
		size := "endless"
		if h.Size > 0 {
			size = fmt.Sprintf("%.1f GiB", float64(h.Size)/(1<<30))
		}
		ok := worst < 30*time.Second && peak < 200e6
		fmt.Printf("%-48s %10s %8.2fs %6.0f MB  %s\n", h.Name, size, worst.Seconds(), float64(peak)/1e6, map[bool]string{true: "met", false: "MISSED"}[ok])
		if !ok {
			b.Errorf("%s: %s, %d bytes: a target was missed", h.Name, worst, peak)
		}
	}
}

// runHostile runs credreview on one hostile input and the good report and
// checks what it says and writes.
func runHostile(b *testing.B, bin string, h batch.Hostile, good *batch.Batch, out string) (time.Duration, int64) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.Command(bin, "analyze", "-f", "json", "-o", out, h.Path, good.Files[0])
	cmd.Stdin = h.Stdin
	var stderr strings.Builder
	cmd.Stderr = &stderr
	d, rss, err := run(ctx, cmd)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		b.Fatalf("%s: %v, want exit 1\n%s", h.Name, err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "credreview: error: "+h.Path) {
		b.Fatalf("%s: no error names %s:\n%s", h.Name, h.Path, stderr.String())
	}
	data, err := os.ReadFile(filepath.Join(out, "credential-review.json"))
	if err != nil {
		b.Fatal(err)
	}
	var doc struct {
		Findings []struct {
			Source string `json:"source"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, f := range doc.Findings {
		if f.Source == good.Files[0] {
			n++
		}
	}
	if n != len(good.Findings) {
		b.Fatalf("%s: %d findings of the good report, want %d", h.Name, n, len(good.Findings))
	}
	return d, rss
}
