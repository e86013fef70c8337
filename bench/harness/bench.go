// Package harness measures logplug against the performance goals of issue
// 8 and writes the results table: the plugin boundary, what the host adds,
// go-plugin as the peer, `logplug run` end to end, start-up, memory and
// build time. Its command, bench/cmd/bench, is what `go tool mage bench`
// runs, once it has built the host and the plugins.
//
// Every goal is a ratio of figures measured side by side in one run: the
// benchmarks and programs being compared run in the same round, one after
// the other, for several rounds, and each figure is the median of its
// rounds. No test asserts a time; the table says which goals were met.
//
// The Go benchmarks it runs live in four places:
//
//   - testdata/boundary_test.go (goals 1 and 2), run in a copy of each
//     plugin's source, since a plugin is a main package that can't be
//     imported; a second copy is built as the plugin that the benchmark
//     loads (see copyPlugin);
//   - the bench module's rpcpeer package (goal 3), which puts the same
//     plugin behind github.com/hashicorp/go-plugin; the module is outside
//     the go.work workspace so that its dependencies never reach the build
//     list of the host or of any plugin;
//   - host/cmd/logplug's BenchmarkPipeline (goal 4), with a copy of
//     stdoutjson linked in through go build's -overlay (see staticOverlay);
//   - the programs it times (goals 4 to 7): bin/logplug itself, jq, the
//     bench module's articlehost, and go tool mage build.
//
// The host and the plugins are built by Mage, which passes their paths in
// [Config]. The test binaries and programs that load plugins are built here
// with Config.GoFlags, the host's build flags, which Mage passes too: they
// are defined once, in package build of the magefiles module.
package harness

import (
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Config says what Run measures.
type Config struct {
	// Root is the repository root, an absolute path.
	Root string
	// Host is the host program that `go tool mage build` built
	// (bin/logplug), and Plugins the folder of the plugins it built
	// (bin/plugins): absolute paths.
	Host, Plugins string
	// OutDir is the folder, an absolute path, where Run keeps the CPU
	// profile of goal 4 and the test binary it came from.
	OutDir string
	// GoFlags are the go build flags that the host and the plugins were
	// built with; every program and test binary that loads a plugin is
	// built with them too.
	GoFlags []string
	// Log receives one line per step.
	Log io.Writer
	// Rounds is how many times each comparison is repeated.
	Rounds int
	// Lines is the number of input lines of goals 4 and 6, whose targets are
	// for 1,000,000; goal 6 also runs a tenth of them.
	Lines int
	// BenchTime is the -test.benchtime of the micro-benchmarks.
	BenchTime string
	// StartRuns is how many times each program of goal 5 starts.
	StartRuns int
	// ColdBuild includes a full build with an empty build cache in goal 7.
	ColdBuild bool
	// KeepTemp keeps the temporary folder with the copies, binaries and
	// input files, and logs its path.
	KeepTemp bool
}

// DefaultConfig returns the configuration the goals are stated for, with
// no paths.
func DefaultConfig(log io.Writer) Config {
	return Config{Log: log, Rounds: 5, Lines: 1_000_000, BenchTime: "500ms", StartRuns: 20, ColdBuild: true}
}

// ShortConfig returns a configuration for a quick check that everything
// runs, whose figures are not those the goals are stated for, with no
// paths.
func ShortConfig(log io.Writer) Config {
	return Config{Log: log, Rounds: 1, Lines: 100_000, BenchTime: "100ms", StartRuns: 3}
}

// Short reports whether the configuration is not the one the goals are
// stated for.
func (c Config) Short() bool {
	return c.Lines != DefaultConfig(nil).Lines || c.Rounds < DefaultConfig(nil).Rounds
}

// check returns an error naming the first path setting that is missing.
func (c Config) check() error {
	for _, p := range []struct{ name, path string }{{"Root", c.Root}, {"Host", c.Host}, {"Plugins", c.Plugins}, {"OutDir", c.OutDir}} {
		if !filepath.IsAbs(p.path) {
			return fmt.Errorf("Config.%s is %q, want an absolute path", p.name, p.path)
		}
	}
	if _, err := os.Stat(c.Host); err != nil {
		return fmt.Errorf("%w (build the host first: go tool mage build)", err)
	}
	return nil
}

// The plugins of goal 1, and the one the other goals use.
var (
	boundaryPlugins = []string{"stdoutjson", "zerolog"}
	mainPlugin      = "stdoutjson"
)

// runner holds the state of one Run.
type runner struct {
	cfg     Config
	tmp     string
	report  *Report
	samples samples
	// Built artifacts, absolute paths.
	pluginCopies map[string]string // plugin name -> copy built as a plugin
	boundaryBins map[string]string // plugin name -> test binary of the other copy
	pipelineBin  string            // host/cmd/logplug tests with stdoutjson linked in
	peerBin      string            // bench/rpcpeer/cmd/peer
	peerTestBin  string            // bench/rpcpeer tests
	articleHost  string            // bench/articlehost
	// Input files.
	lines, fewLines string
	jq              string // path of jq, or empty
}

// Run measures every goal and returns the report. A step that fails is
// reported in the table and the others still run; the error joins the
// failures.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "logplug-bench-")
	if err != nil {
		return nil, err
	}
	if cfg.KeepTemp {
		fmt.Fprintf(cfg.Log, "bench: keeping %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	r := &runner{cfg: cfg, tmp: tmp, report: &Report{}, samples: samples{},
		pluginCopies: map[string]string{}, boundaryBins: map[string]string{}}
	r.setup()
	before, err := pluginBuildLists(cfg.Plugins)
	if err != nil {
		return r.report, err
	}
	var errs []error
	if err := r.prepare(ctx); err != nil {
		return r.report, err
	}
	errs = append(errs, r.rounds(ctx))
	r.boundaryRows()
	r.hostRows()
	r.peerRows()
	r.runRows()
	errs = append(errs, r.profile(ctx), r.startup(ctx), r.memory(ctx), r.buildTimes(ctx))
	after, err := pluginBuildLists(cfg.Plugins)
	errs = append(errs, err)
	r.checkBuildLists(before, after)
	return r.report, errors.Join(errs...)
}

// logf prints a progress line.
func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.cfg.Log, "bench: "+format+"\n", args...)
}

// setup describes the machine and the run.
func (r *runner) setup() {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	load := ""
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(data))
		if len(f) >= 3 {
			load = fmt.Sprintf(", load average %s %s %s at the start", f[0], f[1], f[2])
		}
	}
	r.report.Setup = append(r.report.Setup,
		fmt.Sprintf("Run on %s: %s/%s, %d CPUs (%s)%s, %s.",
			time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu, load, runtime.Version()),
		fmt.Sprintf("%d rounds; micro-benchmarks run for %s each per round; %s input lines for goals 4 and 6.",
			r.cfg.Rounds, r.cfg.BenchTime, thousands(int64(r.cfg.Lines))),
		"Reproduce with `go tool mage bench`; the table is written to BENCHMARKS.md.",
	)
	if r.cfg.Short() {
		r.report.Setup = append(r.report.Setup, "**A short run**: the figures are not those the goals are stated for.")
	}
}

// prepare builds every benchmark artifact but the host and the plugins,
// which Mage built, and writes the input files.
func (r *runner) prepare(ctx context.Context) error {
	root := r.cfg.Root
	r.lines = filepath.Join(r.tmp, "lines.jsonl")
	r.fewLines = filepath.Join(r.tmp, "few-lines.jsonl")
	r.logf("writing %d input lines to %s", r.cfg.Lines, r.lines)
	if err := writeLines(r.lines, r.cfg.Lines); err != nil {
		return err
	}
	if err := writeLines(r.fewLines, r.cfg.Lines/10); err != nil {
		return err
	}
	if jq, err := exec.LookPath("jq"); err == nil {
		r.jq = jq
	} else {
		r.logf("jq is not installed: goal 4 compares logplug run with `jq -c .`; install it (apt-get install jq, or brew install jq) and run again. Going on without it.")
	}

	b := builder{flags: r.cfg.GoFlags}
	gowork := []string{"GOWORK=off"}
	add := func(a artifact, err error) error {
		if err != nil {
			return err
		}
		r.logf("built %s in %.1fs", filepath.Base(a.path), a.took.Seconds())
		return nil
	}
	for _, name := range boundaryPlugins {
		// Two copies of one source, with different module paths so that one
		// process can hold both: one built as a plugin, the other tested.
		pluginDir := filepath.Join(r.tmp, "copies", name, "plugin")
		staticDir := filepath.Join(r.tmp, "copies", name, "static")
		if err := copyPlugin(root, name, pluginDir, "example.com/logplug-bench/plugin/"+name, nil); err != nil {
			return err
		}
		boundary, err := templates.ReadFile("testdata/boundary_test.go")
		if err != nil {
			return err
		}
		if err := copyPlugin(root, name, staticDir, "example.com/logplug-bench/static/"+name, map[string][]byte{"zz_boundary_test.go": boundary}); err != nil {
			return err
		}
		r.pluginCopies[name] = filepath.Join(r.tmp, name+".so")
		if err := add(b.plugin(ctx, pluginDir, r.pluginCopies[name], gowork)); err != nil {
			return err
		}
		r.boundaryBins[name] = filepath.Join(r.tmp, name+".test")
		if err := add(b.testBinary(ctx, staticDir, ".", r.boundaryBins[name], gowork)); err != nil {
			return err
		}
	}

	overlay, err := staticOverlay(root, filepath.Join(r.tmp, "overlay"))
	if err != nil {
		return err
	}
	r.pipelineBin = filepath.Join(r.tmp, "logplug.test")
	if err := add(b.testBinary(ctx, root, "./"+hostPackage, r.pipelineBin, workspace(root), "-overlay", overlay)); err != nil {
		return err
	}

	benchMod := filepath.Join(root, "bench")
	r.peerBin = filepath.Join(r.tmp, "peer")
	r.peerTestBin = filepath.Join(r.tmp, "rpcpeer.test")
	r.articleHost = filepath.Join(r.tmp, "articlehost")
	if err := add(b.program(ctx, benchMod, "./rpcpeer/cmd/peer", r.peerBin, gowork)); err != nil {
		return err
	}
	if err := add(b.testBinary(ctx, benchMod, "./rpcpeer", r.peerTestBin, gowork)); err != nil {
		return err
	}
	return add(b.program(ctx, benchMod, "./articlehost", r.articleHost, gowork))
}

// goBench runs a test binary's benchmarks once and records the results
// under prefix.
func (r *runner) goBench(ctx context.Context, prefix, bin, pattern, benchtime string, env ...string) error {
	cmd := exec.CommandContext(ctx, bin, "-test.run=^$", "-test.bench="+pattern, "-test.benchmem",
		"-test.benchtime="+benchtime, "-test.count=1")
	cmd.Dir = r.tmp
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s -test.bench=%s: %w\n%s%s", filepath.Base(bin), pattern, err, out, stderr.String())
	}
	results, err := ParseResults(strings.NewReader(string(out)))
	if err != nil {
		return err
	}
	if len(results) == 0 {
		return fmt.Errorf("%s -test.bench=%s: no results\n%s", filepath.Base(bin), pattern, out)
	}
	for i := range results {
		results[i].Name = prefix + results[i].Name
	}
	r.samples.add(results)
	return nil
}

// rounds runs every comparison of goals 1 to 4 once per round, so that
// each pair is measured close together in time.
func (r *runner) rounds(ctx context.Context) error {
	var errs []error
	keep := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
			r.logf("%s failed: %v", what, firstLine(err.Error()))
		}
	}
	onlyMain := filepath.Join(r.tmp, "plugins-"+mainPlugin)
	if err := os.MkdirAll(onlyMain, 0o755); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(r.cfg.Plugins, mainPlugin+".so"), filepath.Join(onlyMain, mainPlugin+".so")); err != nil {
		return err
	}
	soEnv := "LOGPLUG_BENCH_PLUGIN=" + r.pluginCopies[mainPlugin]
	for round := 1; round <= r.cfg.Rounds; round++ {
		r.logf("round %d of %d", round, r.cfg.Rounds)
		for _, name := range boundaryPlugins {
			pattern := "^BenchmarkBoundary$"
			if name == mainPlugin {
				pattern = "^(BenchmarkBoundary|BenchmarkHost)$"
			}
			keep("goals 1-2, "+name, r.goBench(ctx, name+":", r.boundaryBins[name], pattern, r.cfg.BenchTime,
				"LOGPLUG_BENCH_PLUGIN="+r.pluginCopies[name]))
		}
		keep("goal 3", r.goBench(ctx, "", r.peerTestBin, "^BenchmarkPeer$", r.cfg.BenchTime,
			soEnv, "LOGPLUG_BENCH_PEER="+r.peerBin))
		keep("goal 4, pipeline", r.goBench(ctx, "", r.pipelineBin, "^BenchmarkPipeline$", "1x",
			soEnv, "LOGPLUG_BENCH_LINES="+r.lines))
		res, err := proc{Args: []string{r.cfg.Host, "run", "--plugins", onlyMain}, Dir: r.tmp, Stdin: r.lines}.run(ctx)
		keep("goal 4, logplug run", err)
		if err == nil {
			r.samples.put("logplug run", "ns/op", float64(res.Wall.Nanoseconds()))
		}
		if r.jq != "" {
			res, err := proc{Args: []string{r.jq, "-c", "."}, Dir: r.tmp, Stdin: r.lines}.run(ctx)
			keep("goal 4, jq", err)
			if err == nil {
				r.samples.put("jq", "ns/op", float64(res.Wall.Nanoseconds()))
			}
		}
	}
	return errors.Join(errs...)
}

// copyFile copies the file src to dst.
func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// pluginBuildLists returns, for each plugin in the folder dir, the module
// versions it was built with, one "path version" line each.
func pluginBuildLists(dir string) (map[string]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.so"))
	if err != nil {
		return nil, err
	}
	lists := map[string]string{}
	for _, f := range files {
		info, err := buildinfo.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read the build information of %s: %w", f, err)
		}
		var deps []string
		for _, d := range info.Deps {
			deps = append(deps, d.Path+" "+d.Version)
		}
		lists[filepath.Base(f)] = strings.Join(deps, ", ")
	}
	return lists, nil
}

// checkBuildLists notes whether the plugins' module versions are the same
// after the run as before it: building the bench module, whose dependencies
// include other versions of modules that plugins link, must not change them.
func (r *runner) checkBuildLists(before, after map[string]string) {
	same := len(before) == len(after)
	var lists []string
	for name, deps := range before {
		if after[name] != deps {
			same = false
		}
		if deps == "" {
			deps = "standard library only"
		}
		lists = append(lists, fmt.Sprintf("%s: %s", name, deps))
	}
	if same {
		r.report.note(3, "The plugins' module versions (`go version -m bin/plugins/*.so`) are the same after the run as before it: %s.", strings.Join(sortedStrings(lists), "; "))
	} else {
		r.report.note(3, "**The plugins' module versions changed during the run**: before %v, after %v.", before, after)
	}
}
