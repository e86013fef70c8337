package harness

import (
	"go/parser"
	"go/token"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseResults(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: example.com/x
cpu: Some CPU
BenchmarkBoundary-2   	  388407	      2043 ns/op	         1.000 plugin-allocs/op	      1034 plugin-ns/op
BenchmarkHost/sync-16         	 1426692	       379.9 ns/op	       0 B/op	       0 allocs/op
BenchmarkPlain 	 100	 12.5 ns/op
--- SKIP: BenchmarkHost/queued
    boundary_test.go:80: the host has no queued delivery yet
BenchmarkBroken-2 	 notanumber	 1 ns/op
PASS
`
	got, err := ParseResults(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{
		{"BenchmarkBoundary", 388407, map[string]float64{"ns/op": 2043, "plugin-allocs/op": 1, "plugin-ns/op": 1034}},
		{"BenchmarkHost/sync", 1426692, map[string]float64{"ns/op": 379.9, "B/op": 0, "allocs/op": 0}},
		{"BenchmarkPlain", 100, map[string]float64{"ns/op": 12.5}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d results %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.N != w.N || len(g.Metrics) != len(w.Metrics) {
			t.Errorf("result %d = %+v, want %+v", i, g, w)
			continue
		}
		for unit, v := range w.Metrics {
			if g.Metrics[unit] != v {
				t.Errorf("result %d: %s = %v, want %v", i, unit, g.Metrics[unit], v)
			}
		}
	}
}

func TestTrimProcs(t *testing.T) {
	tests := map[string]string{
		"BenchmarkX-2":        "BenchmarkX",
		"BenchmarkX/a-b-16":   "BenchmarkX/a-b",
		"BenchmarkX/no-procs": "BenchmarkX/no-procs",
		"BenchmarkX":          "BenchmarkX",
	}
	for in, want := range tests {
		if got := trimProcs(in); got != want {
			t.Errorf("trimProcs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSamples(t *testing.T) {
	s := samples{}
	for _, v := range []float64{5, 1, 3} {
		s.put("a", "ns/op", v)
	}
	s.put("b", "ns/op", 2)
	s.put("b", "ns/op", 4)
	tests := []struct {
		name, unit string
		want       float64
		ok         bool
	}{
		{"a", "ns/op", 3, true},
		{"b", "ns/op", 3, true},
		{"a", "allocs/op", 0, false},
		{"c", "ns/op", 0, false},
	}
	for _, tt := range tests {
		got, ok := s.median(tt.name, tt.unit)
		if got != tt.want || ok != tt.ok {
			t.Errorf("median(%s, %s) = %v, %v; want %v, %v", tt.name, tt.unit, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{formatNs(math.NaN()), "-"},
		{formatNs(12.34), "12.3"},
		{formatNs(1234.4), "1,234"},
		{formatNs(1234567890), "1,234,567,890"},
		{formatAllocs(0), "0"},
		{formatAllocs(1.00021), "1.00"},
		{formatAllocs(16), "16"},
		{thousands(-1234), "-1,234"},
		{thousands(999), "999"},
		{ratio(1.034), "1.03×"},
		{ratio(math.Inf(1)), "-"},
		{mib(31 << 20), "31.0 MiB"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

func TestReportTable(t *testing.T) {
	r := &Report{}
	r.add(Row{Goal: 1, Name: "base", NsOp: 100, AllocsOp: 0, Measured: "base"},
		Row{Goal: 1, Name: "slow", NsOp: 200, AllocsOp: none, Measured: ratio(2), Target: "≤ 1.05×", Verdict: verdict(false)})
	r.fail(4, "run", os.ErrNotExist)
	table := r.Table()
	for _, want := range []string{"| 1 | base | 100 | 0 | base |  |  |", "| 1 | slow | 200 | - | 2.00× | ≤ 1.05× | **no** |", "| 4 | run | - | - | - |  | failed |"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if missed := r.Missed(); len(missed) != 2 {
		t.Errorf("Missed() = %d rows, want 2", len(missed))
	}
	if md := r.Markdown(); !strings.Contains(md, "run failed: file does not exist") {
		t.Errorf("Markdown lacks the failure's note:\n%s", md)
	}
}

func TestAsLibrary(t *testing.T) {
	src := `// Command x is a plugin.
package main

import "io"

// main is never called.
func main() {}

var LoggingPlugin = logger{}

type logger struct{ out io.Writer }

func (l *logger) main() {} // a method named main stays
`
	got, err := asLibrary("x.go", []byte(src), "lib")
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", got, parser.ParseComments)
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, got)
	}
	if f.Name.Name != "lib" {
		t.Errorf("package %s, want lib", f.Name.Name)
	}
	text := string(got)
	if strings.Contains(text, "func main()") || strings.Contains(text, "never called") {
		t.Errorf("func main or its comment is still there:\n%s", text)
	}
	if !strings.Contains(text, "func (l *logger) main()") {
		t.Errorf("the method named main was dropped:\n%s", text)
	}
}

// repoRoot returns the repository root, two folders up.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Skipf("not in the logplug repository: %v", err)
	}
	return root
}

// goRun runs the go command in dir and fails the test with its output if it
// fails.
func goRun(t *testing.T, dir string, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, out)
	}
}

// TestTemplatesCompile builds what Run generates from the templates in
// testdata, without running any benchmark, so that a change to a plugin or
// to the host that breaks them shows in the tests rather than in a
// benchmark run.
func TestTemplatesCompile(t *testing.T) {
	root := repoRoot(t)
	boundary, err := templates.ReadFile("testdata/boundary_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range boundaryPlugins {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			pluginDir, staticDir := filepath.Join(dir, "plugin"), filepath.Join(dir, "static")
			if err := copyPlugin(root, name, pluginDir, "example.com/logplug-bench/plugin/"+name, nil); err != nil {
				t.Fatal(err)
			}
			if err := copyPlugin(root, name, staticDir, "example.com/logplug-bench/static/"+name, map[string][]byte{"zz_boundary_test.go": boundary}); err != nil {
				t.Fatal(err)
			}
			goRun(t, pluginDir, []string{"GOWORK=off"}, "vet", ".")
			goRun(t, staticDir, []string{"GOWORK=off"}, "vet", ".")
		})
	}
	t.Run("static pipeline", func(t *testing.T) {
		overlay, err := staticOverlay(root, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		// The bench module's tests run with GOWORK=off; the host's tests
		// build in the workspace, as Run builds them.
		goRun(t, root, workspace(root), "test", "-c", "-vet=off", "-overlay", overlay, "-o", filepath.Join(t.TempDir(), "logplug.test"), "./"+hostPackage)
	})
}

func TestStageTable(t *testing.T) {
	cum := `Showing nodes accounting for 1.25s, 92.59% of 1.35s total
      flat  flat%   sum%        cum   cum%
         0     0%     0%      1.25s 92.59%  github.com/logplug/logplug/host/cmd/logplug.feed
         0     0%     0%      0.55s 40.00%  github.com/logplug/logplug/host/internal/jsonline.Parse
         0     0%     0%      0.54s 40.00%  github.com/logplug/logplug/host.(*Host).Send
     0.06s  4.44%  4.44%      0.53s 39.00%  example.com/logplug-bench/plugin/stdoutjson.(*logger).write
         0     0% 88.15%      0.01s  1.00%  example.com/logplug-bench/plugin/stdoutjson.(*logger).writeOut
     0.02s  1.48% 31.85%      0.12s  8.00%  gcWriteBarrier
     0.11s  8.15% 41.48%      0.11s  2.00%  runtime.asyncPreempt
     0.01s  0.74% 64.44%      0.05s  3.00%  github.com/logplug/logplug/host/cmd/logplug.(*lineReader).next
`
	table := stageTable(cum)
	for _, want := range []string{
		"| parsing: jsonline.Parse, including its map writes | 40% |",
		"| the host: Host.Send and each plugin's goroutine (queue, labels map, panic guard, waiting for input), without the plugin | 1% |",
		"| the plugin: stdoutjson encoding the line | 38% |",
		"| the plugin: writing held lines to /dev/null | 1% |",
		"| reading input: run's line reader and its read-ahead goroutine | 3% |",
		"| of which, inside the stages above: write barriers and preemption while the collector runs | 10% |",
		"| the garbage collector's background work | 0% |",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}
