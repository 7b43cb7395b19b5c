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

// env is a batch the benchmarks share: on disk, with credreview built, and
// the gawk one-liner's time on it, measured in this run.
type env struct {
	name, dir, bin string
	batch          *batch.Batch
	gawk           time.Duration
	err            error
	once           sync.Once
}

// The batches: light (2.5 % of users with a setup-time key, as
// Generate makes them) and heavy (14 %, as accounts set up with the old
// console wizard have).
var (
	light = &env{name: "light"}
	heavy = &env{name: "heavy"}

	buildOnce sync.Once
	bin       string
	buildErr  error
)

// heavySetupPercent makes 14 % of the heavy batch's users hold a setup-time
// key.
const heavySetupPercent = 28

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

// setup makes the batch e on disk, once, and times gawk on it.
func setup(b *testing.B, e *env) *env {
	b.Helper()
	e.bin = build(b)
	e.once.Do(func() {
		root, _ := filepath.Abs("../..")
		e.dir = filepath.Join(root, ".bench", e.name)
		percent := 5
		if e == heavy {
			percent = heavySetupPercent
		}
		os.RemoveAll(e.dir)
		if e.batch, e.err = batch.GenerateHeavy(e.dir, accounts, users, percent); e.err != nil {
			return
		}
		if e.gawk, e.err = gawkTime(e.batch.Files); e.err != nil {
			return
		}
		fmt.Printf("%s batch: %d accounts × %d users, %d rows, %.1f MB, %d setup-time keys (%.1f %% of users); gawk one-liner %.3f s (median of 5)\n",
			e.name, accounts, users, e.batch.Rows, float64(e.batch.Bytes)/1e6, len(e.batch.Findings), 100*float64(len(e.batch.Findings))/float64(accounts*users), e.gawk.Seconds())
	})
	if e.err != nil {
		b.Fatal(e.err)
	}
	return e
}

// gawkTime is the median of five runs of the gawk one-liner, page cache
// warm.
func gawkTime(files []string) (time.Duration, error) {
	if _, err := exec.LookPath("gawk"); err != nil {
		return 0, fmt.Errorf("gawk is needed to measure against (apt-get install gawk)")
	}
	var runs []time.Duration
	for range 5 {
		d, _, err := run(context.Background(), exec.Command("gawk", append([]string{"-F,", "-v", "WINDOW=3600", "-f", awk}, files...)...), "TZ=UTC")
		if err != nil {
			return 0, fmt.Errorf("gawk: %v", err)
		}
		runs = append(runs, d)
	}
	return median(runs), nil
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

// BenchmarkGawk times the one-liner itself, on the light batch.
func BenchmarkGawk(b *testing.B) {
	e := setup(b, light)
	for b.Loop() {
		if _, _, err := run(context.Background(), exec.Command("gawk", append([]string{"-F,", "-v", "WINDOW=3600", "-f", awk}, e.batch.Files...)...), "TZ=UTC"); err != nil {
			b.Fatal(err)
		}
	}
}

// verdict says whether a target was met, as make bench prints it.
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// analyzeRun runs credreview analyze once on dir into a new folder, after
// removing the previous run's (replacing tens of megabytes would make the
// file system free them during the run), and returns its time, its peak
// memory and the folder.
func analyzeRun(b *testing.B, bin, formats, dir, prev string) (time.Duration, int64, string) {
	if prev != "" {
		os.RemoveAll(prev)
	}
	out := filepath.Join(b.TempDir(), "review")
	d, rss, err := run(context.Background(), exec.Command(bin, "analyze", "-q", "-f", formats, "-o", out, dir))
	if err != nil {
		b.Fatalf("credreview analyze -f %s %s: %v", formats, dir, err)
	}
	return d, rss, out
}

// measure runs credreview analyze on a batch b.N times and reports its
// median time, its ratio to gawk's and its peak memory, each against its
// target: at least minRatio times faster than gawk (below 1, at most 1 /
// minRatio times slower), in at most 150 MiB.
func measure(b *testing.B, e *env, formats string, minRatio float64) {
	e = setup(b, e)
	var runs []time.Duration
	var peak int64
	var out string
	for i := 0; i < b.N; i++ {
		var d time.Duration
		var rss int64
		d, rss, out = analyzeRun(b, e.bin, formats, e.dir, out)
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
	target := fmt.Sprintf("≥ %g× faster", minRatio)
	if minRatio < 1 {
		target = fmt.Sprintf("at most %g× gawk's time", 1/minRatio)
	}
	fmt.Printf("%s batch: credreview analyze -f %s: %.3f s (median of %d), gawk %.3f s: %.2f× faster (target %s: %s); peak RSS %.0f MiB (target ≤ 150 MiB: %s); GOMAXPROCS %d\n",
		e.name, formats, m.Seconds(), b.N, e.gawk.Seconds(), ratio, target, verdict(ratio >= minRatio), float64(peak)/(1<<20), verdict(peak <= 150<<20), runtime.GOMAXPROCS(0))
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
func BenchmarkAnalyzeJSON(b *testing.B) { measure(b, light, "json", 10) }

// BenchmarkAnalyzePackage writes the whole change-board package: faster
// than the gawk one-liner alone, in at most 150 MiB.
func BenchmarkAnalyzePackage(b *testing.B) { measure(b, light, "xlsx,md,json", 1) }

// BenchmarkHeavyJSON is the pipeline's analysis of the findings-heavy
// batch: at least five times faster than gawk, in at most 150 MiB.
func BenchmarkHeavyJSON(b *testing.B) { measure(b, heavy, "json", 5) }

// BenchmarkHeavyPackage writes the whole package of the findings-heavy
// batch: in at most twice gawk's time, in at most 150 MiB.
func BenchmarkHeavyPackage(b *testing.B) { measure(b, heavy, "xlsx,md,json", 0.5) }

// BenchmarkLinear writes each format for 10,000 and for 20,000 accounts of
// one finding each: every format must take at most 2.2 times as long for
// twice the accounts (the median of b.N runs of each).
func BenchmarkLinear(b *testing.B) {
	bin := build(b)
	root, _ := filepath.Abs("../..")
	sizes := []int{10000, 20000}
	dirs := make([]string, len(sizes))
	for i, n := range sizes {
		dirs[i] = filepath.Join(root, ".bench", fmt.Sprintf("accounts-%d", n))
		if _, err := os.Stat(filepath.Join(dirs[i], fmt.Sprintf("%06d-%012d.csv", n-1, 200000000000+uint64(n-1)*7919))); err != nil {
			os.RemoveAll(dirs[i])
			if _, err := batch.GenerateAccounts(dirs[i], n); err != nil {
				b.Fatal(err)
			}
		}
	}
	fmt.Printf("%-8s %12s %12s %7s  %s\n", "format", "10k accounts", "20k accounts", "ratio", "target ≤ 2.2")
	for _, format := range []string{"json", "md", "xlsx", "csv", "sh"} {
		var medians []time.Duration
		for _, dir := range dirs {
			var runs []time.Duration
			var out string
			for i := 0; i < max(b.N, 3); i++ {
				var d time.Duration
				d, _, out = analyzeRun(b, bin, format, dir, out)
				runs = append(runs, d)
			}
			medians = append(medians, median(runs))
		}
		ratio := medians[1].Seconds() / medians[0].Seconds()
		fmt.Printf("%-8s %11.3fs %11.3fs %7.2f  %s\n", format, medians[0].Seconds(), medians[1].Seconds(), ratio, verdict(ratio <= 2.2))
		b.ReportMetric(ratio, format+"-ratio")
		if ratio > 2.2 {
			b.Errorf("%s: 20k accounts take %.2f times as long as 10k", format, ratio)
		}
	}
}

// BenchmarkMemoryPerFinding writes the whole package for batches of about
// 25,000 and 190,000 findings (500,000 users each): peak memory may grow by
// at most 1 KiB per finding beyond a fixed base. (Not 250,000: a workbook's
// Commands sheet, five rows per finding, holds about 209,000; beyond that
// analyze says to write a workbook per account with --split accounts.)
func BenchmarkMemoryPerFinding(b *testing.B) {
	bin := build(b)
	root, _ := filepath.Abs("../..")
	type point struct {
		findings int
		peak     int64
	}
	var points []point
	for _, percent := range []int{10, 75} {
		dir := filepath.Join(root, ".bench", fmt.Sprintf("setup-%d", percent))
		os.RemoveAll(dir)
		bt, err := batch.GenerateHeavy(dir, accounts, users, percent)
		if err != nil {
			b.Fatal(err)
		}
		var peak int64
		var out string
		for i := 0; i < max(b.N, 1); i++ {
			var rss int64
			_, rss, out = analyzeRun(b, bin, "xlsx,md,json", dir, out)
			peak = max(peak, rss)
		}
		os.RemoveAll(out)
		os.RemoveAll(dir)
		points = append(points, point{len(bt.Findings), peak})
		fmt.Printf("%d findings: peak RSS %.0f MiB\n", len(bt.Findings), float64(peak)/(1<<20))
	}
	per := float64(points[1].peak-points[0].peak) / float64(points[1].findings-points[0].findings)
	fmt.Printf("memory per finding: %.0f bytes of peak RSS per finding between %d and %d findings (target ≤ 1024: %s)\n",
		per, points[0].findings, points[1].findings, verdict(per <= 1024))
	b.ReportMetric(per, "B/finding")
	if per > 1024 {
		b.Errorf("peak memory grows by %.0f bytes per finding", per)
	}
}

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

// BenchmarkHostileReaders runs credreview on each hostile input of the
// readers other than a report's (workbooks, a review's JSON, a key
// inventory, an exceptions file), as the command that reads it: each must
// end with exit 1 and an error that names the file, in under 30 s and
// 300 MB of peak memory, with nothing else lost.
func BenchmarkHostileReaders(b *testing.B) {
	bin := build(b)
	dir := b.TempDir()
	good, err := batch.Generate(filepath.Join(dir, "good"), 1, 500)
	if err != nil {
		b.Fatal(err)
	}
	review := filepath.Join(dir, "review")
	if out, err := exec.Command(bin, "analyze", "-q", "-f", "xlsx,json", "-o", review, good.Files[0]).CombinedOutput(); err != nil {
		b.Fatalf("analyze: %v\n%s", err, out)
	}
	hostile, err := batch.HostileReaders(filepath.Join(dir, "hostile"), review)
	if err != nil {
		b.Fatal(err)
	}
	// The command that reads each, and the error that must name it.
	type job struct {
		h    batch.Hostile
		args func(out string) []string
		name string // what the error names
	}
	var jobs []job
	for _, h := range hostile {
		switch {
		case strings.HasSuffix(h.Path, ".xlsx"):
			jobs = append(jobs, job{h, func(out string) []string { return []string{"script", "--approved", h.Path, "-o", out} }, h.Path})
		case strings.HasSuffix(h.Path, "padded.json"):
			jobs = append(jobs, job{h, func(out string) []string {
				return []string{"verify", "--review", h.Path, "-f", "json", "-o", out, good.Files[0]}
			}, h.Path})
		case h.Path == "/dev/zero":
			jobs = append(jobs, job{h, func(out string) []string {
				return []string{"analyze", "--exceptions", h.Path, "-f", "json", "-o", out, good.Files[0]}
			}, h.Path})
		default:
			jobs = append(jobs, job{h, func(out string) []string { return []string{"analyze", "-f", "json", "-o", out, h.Path, good.Files[0]} }, h.Path})
		}
	}
	// A bomb where analyze would write: it may hold decisions, so it is
	// never replaced, and reading it costs no more than the others.
	bombed := filepath.Join(dir, "bombed")
	os.MkdirAll(bombed, 0o755)
	if data, err := os.ReadFile(hostile[0].Path); err == nil {
		os.WriteFile(filepath.Join(bombed, "credential-review.xlsx"), data, 0o644)
	}
	jobs = append(jobs, job{batch.Hostile{Name: "analyze -o DIR, DIR holding that workbook", Path: bombed, Size: hostile[0].Size},
		func(string) []string { return []string{"analyze", "-f", "xlsx", "-o", bombed, good.Files[0]} }, filepath.Join(bombed, "credential-review.xlsx")})

	fmt.Printf("%-48s %10s %9s %9s  %s\n", fmt.Sprintf("hostile input of a reader, worst of %d runs", b.N), "size", "time", "peak RSS", "targets: < 30 s, < 300 MB")
	for _, j := range jobs {
		var worst time.Duration
		var peak int64
		for i := 0; i < b.N; i++ {
			out := filepath.Join(dir, fmt.Sprintf("out-%d", i))
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			cmd := exec.Command(bin, j.args(out)...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			d, rss, err := run(ctx, cmd)
			cancel()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				b.Fatalf("%s: %v, want exit 1\n%s", j.h.Name, err, stderr.String())
			}
			if !strings.Contains(stderr.String(), j.name) {
				b.Fatalf("%s: no error names %s:\n%s", j.h.Name, j.name, stderr.String())
			}
			worst, peak = max(worst, d), max(peak, rss)
		}
		ok := worst < 30*time.Second && peak < 300e6
		fmt.Printf("%-48s %10s %8.2fs %6.0f MB  %s\n", j.h.Name, fmt.Sprintf("%.2f GiB", float64(j.h.Size)/(1<<30)), worst.Seconds(), float64(peak)/1e6, verdict(ok))
		if !ok {
			b.Errorf("%s: %s, %d bytes: a target was missed", j.h.Name, worst, peak)
		}
	}
}
