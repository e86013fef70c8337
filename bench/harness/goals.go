package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Goals, as numbers.
const (
	boundaryMax   = 1.05 // goal 1: plugin / static
	syncMax       = 1.10 // goal 2: sync / direct
	queuedAddMax  = 200  // goal 2: ns added by queued delivery
	peerMinFactor = 500  // goal 3: go-plugin / logplug
	jqMinFactor   = 5    // goal 4: jq time / logplug run time
	staticMax     = 1.2  // goal 4: logplug run / static pipeline
	startupMax    = 1.3  // goal 5: logplug emit / articlehost
	rssMax        = 40 << 20
	noopBuildMax  = 3 * time.Second
)

// get returns the median of a benchmark's metric, or NaN.
func (r *runner) get(name, unit string) float64 {
	if v, ok := r.samples.median(name, unit); ok {
		return v
	}
	return none
}

// measured reports whether a benchmark has results.
func (r *runner) measured(name string) bool { return len(r.samples[name]["ns/op"]) > 0 }

// benchRow returns a row for a benchmark's medians.
func (r *runner) benchRow(goal int, label, name string) Row {
	return Row{Goal: goal, Name: label, NsOp: r.get(name, "ns/op"), AllocsOp: r.get(name, "allocs/op")}
}

// missing adds a row for a comparison that has no results.
func (r *runner) missing(goal int, label, why string) {
	r.report.add(Row{Goal: goal, Name: label, NsOp: none, AllocsOp: none, Measured: "-", Verdict: Skipped})
	r.report.note(goal, "%s: %s", label, why)
}

// pairRow returns a row for one side of a benchmark that compares
// several, from its metrics SIDE-ns/op and SIDE-allocs/op.
func (r *runner) pairRow(goal int, label, name, side string) Row {
	return Row{Goal: goal, Name: label, NsOp: r.get(name, side+"-ns/op"), AllocsOp: r.get(name, side+"-allocs/op")}
}

// boundaryRows adds goal 1: each plugin loaded vs linked in.
func (r *runner) boundaryRows() {
	for _, name := range boundaryPlugins {
		bench := name + ":BenchmarkBoundary"
		if !r.measured(bench) {
			r.missing(1, name+" through a plugin", "no results (see the log)")
			continue
		}
		base := r.pairRow(1, name+" linked statically", bench, "static")
		base.Measured = "base"
		row := r.pairRow(1, name+" through a loaded plugin", bench, "plugin")
		x := row.NsOp / base.NsOp
		row.Measured, row.Target, row.Verdict = ratio(x), fmt.Sprintf("≤ %.2f×", boundaryMax), verdict(x <= boundaryMax)
		r.report.add(base, row)
	}
	r.report.note(1, "The same source is copied twice with two module paths: one copy is built as a plugin, the other is linked into a test binary that also loads the first (bench/harness/testdata/boundary_test.go). "+
		"Both are called through the api.Logger interface, as a host calls them, with one message of three labels, writing to io.Discard: "+
		"a hook function added to both copies (bench/harness/testdata/hooks) sets the logger's writer. Both copies are built with GOWORK=off from the same go.mod, so they share every module version. "+
		"The benchmark alternates batches of 100 calls to each, so that the machine's load falls on both alike, and takes each one's median batch, which a batch that the scheduler interrupted does not move.")
}

// hostRows adds goal 2: what the host adds over a direct call.
func (r *runner) hostRows() {
	pair, direct, queued, clone := mainPlugin+":BenchmarkHost/sync", mainPlugin+":BenchmarkHost/direct", mainPlugin+":BenchmarkHost/queued", mainPlugin+":BenchmarkHost/clone"
	if !r.measured(pair) {
		r.missing(2, "synchronous delivery", "no results (see the log)")
		return
	}
	base := r.pairRow(2, mainPlugin+" called directly", pair, "direct")
	base.Measured = "base"
	row := r.pairRow(2, "through a Host, synchronous delivery", pair, "sync")
	x := row.NsOp / base.NsOp
	row.Measured = ratio(x)
	row.Target = fmt.Sprintf("≤ %.2f×, no allocation added", syncMax)
	row.Verdict = verdict(x <= syncMax && row.AllocsOp <= base.AllocsOp)
	r.report.add(base, row)
	if r.measured(queued) && r.measured(direct) && r.measured(clone) {
		d := r.benchRow(2, mainPlugin+" called directly, alone", direct)
		d.Measured = "base"
		q := r.benchRow(2, "through a Host, queued delivery", queued)
		added := q.NsOp - d.NsOp
		allowed := d.AllocsOp + r.get(clone, "allocs/op")
		q.Measured = fmt.Sprintf("%+.0f ns", added)
		q.Target = fmt.Sprintf("≤ +%d ns, ≤ %s allocs", queuedAddMax, formatAllocs(allowed))
		q.Verdict = verdict(added <= queuedAddMax && q.AllocsOp <= allowed)
		c := r.benchRow(2, "copying the 3 labels once (allowance)", clone)
		r.report.add(d, q)
		if newMaps := mainPlugin + ":BenchmarkHost/queued-new-maps"; r.measured(newMaps) {
			n := r.benchRow(2, "through a Host, queued delivery, to a plugin that does not borrow labels", newMaps)
			n.Measured = fmt.Sprintf("%+.0f ns", n.NsOp-d.NsOp)
			r.report.add(n)
		}
		r.report.add(c)
	} else {
		r.missing(2, "through a Host, queued delivery", "the host in this tree has no queued delivery: set its option in queuedOptions, in bench/harness/testdata/boundary_test.go, the one place that needs it.")
	}
	r.report.note(2, "The statically linked copy of %s (see goal 1) is called directly, and through host.New(opts, &host.Plugin{...}).Info, which delivers with the host's panic guard and counts; "+
		"the synchronous comparison alternates batches and takes medians, as in goal 1. "+
		"Queued delivery is timed until Close returns, when every message has been delivered, and compared with the direct call measured alone just before it; "+
		"the allowance for its allocations is the direct call's plus one copy of the labels (`maps.Clone`), measured in the same run. "+
		"%s borrows labels (api.Borrower), as every reference plugin does: the host lends it one map, emptied and refilled for each message, and allocates nothing. "+
		"The row for a plugin that does not borrow labels is the same logger with its required methods alone: it gets a new map with each message, built on its own goroutine; it is shown for information.", mainPlugin, mainPlugin)
}

// peerRows adds goal 3: logplug vs go-plugin.
func (r *runner) peerRows() {
	logplug := "BenchmarkPeer/logplug"
	if !r.measured(logplug) {
		r.missing(3, "go-plugin", "no results (see the log)")
		return
	}
	base := r.benchRow(3, mainPlugin+" through a Host (synchronous delivery), plugin loaded in-process", logplug)
	base.Measured = "base"
	r.report.add(base)
	for _, protocol := range []string{"netrpc", "grpc"} {
		name := "BenchmarkPeer/goplugin-" + protocol
		if !r.measured(name) {
			r.missing(3, "go-plugin over "+protocol, "no results (see the log)")
			continue
		}
		row := r.benchRow(3, fmt.Sprintf("%s behind go-plugin, %s", mainPlugin, protocol), name)
		factor := row.NsOp / base.NsOp
		row.Measured = fmt.Sprintf("1/%.0f", factor)
		row.Target = fmt.Sprintf("logplug ≤ 1/%d", peerMinFactor)
		row.Verdict = verdict(factor >= peerMinFactor)
		r.report.add(row)
	}
	r.report.note(3, "The copy of %s built as a plugin (see goal 1) is loaded by the benchmark, which sends through a Host with synchronous delivery (so that, as with go-plugin, each call returns once the message is written; queued delivery is goal 2), and by a child process that serves it with github.com/hashicorp/go-plugin v1.8.0 (bench/rpcpeer/cmd/peer); "+
		"the benchmark calls the go-plugin client's Info, which returns when the child's logger has written the message. Both write to io.Discard. "+
		"The ratio is logplug's time per call over go-plugin's. The bench module (bench/go.mod) is outside go.work and built with GOWORK=off: neither the host nor any plugin links it.", mainPlugin)
}

// runRows adds goal 4: logplug run vs jq and vs the static pipeline.
func (r *runner) runRows() {
	lines := float64(r.cfg.Lines)
	static, plugin := "BenchmarkPipeline/static", "BenchmarkPipeline/plugin"
	perLine := func(label, name string) Row {
		row := r.benchRow(4, label, name)
		row.NsOp /= lines
		row.AllocsOp /= lines
		return row
	}
	run := perLine("`logplug run`, "+mainPlugin+".so, to /dev/null", "logplug run")
	run.AllocsOp = none
	if !r.measured("logplug run") {
		r.missing(4, "`logplug run`", "no results (see the log)")
		return
	}
	if r.measured(static) {
		base := perLine("the same pipeline linked statically", static)
		base.Measured = "base"
		r.report.add(base)
		if r.measured(plugin) {
			p := perLine("the same pipeline, plugin loaded", plugin)
			p.Measured = ratio(p.NsOp / base.NsOp)
			r.report.add(p)
		}
		x := run.NsOp / base.NsOp
		run.Measured, run.Target, run.Verdict = ratio(x), fmt.Sprintf("≤ %.1f× static", staticMax), verdict(x <= staticMax)
		r.report.add(run)
	} else {
		r.report.add(run)
		r.missing(4, "static pipeline", "no results (see the log)")
	}
	if r.measured("jq") {
		jq := perLine("`jq -c .`, to /dev/null", "jq")
		jq.AllocsOp = none
		factor := jq.NsOp / run.NsOp
		jq.Measured = fmt.Sprintf("logplug %.1f× faster", factor)
		jq.Target = fmt.Sprintf("≥ %d× faster", jqMinFactor)
		jq.Verdict = verdict(factor >= jqMinFactor)
		r.report.add(jq)
	} else {
		r.missing(4, "`jq -c .`", "jq is not installed here; install it (`apt-get install jq`, `brew install jq`) to compare.")
	}
	secs := func(name string) string {
		return fmt.Sprintf("%.2f s", r.get(name, "ns/op")/1e9)
	}
	r.report.note(4, "One op is one input line. The input is %s generated JSON lines of about 150 bytes (time, level, msg and three labels). "+
		"`logplug run` is the real program, timed from start to exit (%s for the whole file), stdin from the file and stdout to /dev/null, with only %s.so in its plugin folder. "+
		"The static pipeline is host/cmd/logplug's BenchmarkPipeline (%s): run's own line reader, parser, host options and GC setting, and a copy of %s linked into the test binary through -overlay, writing to /dev/null; "+
		"the plugin-loaded row is the same benchmark with the plugin copy of goal 1 loaded instead.",
		thousands(int64(r.cfg.Lines)), secs("logplug run"), mainPlugin, secs(static), mainPlugin)
	if r.measured("jq") {
		r.report.note(4, "`jq -c .` read the same file with its output to /dev/null, once per round, after `logplug run`; it took %s.", secs("jq"))
	}
	r.report.note(4, "Since run flushes whenever its input is idle (host.Options.FlushWhenIdle, Host.Idle), %s holds lines (api.Holder) and writes up to 64 KiB at a time instead of one write per line; "+
		"under a host that makes no such promise it writes each line before returning. Run also sets GOGC to 200 unless $GOGC is set.", mainPlugin)
}

// profile runs BenchmarkPipeline with the plugin loaded under the CPU
// profiler and adds where the time goes, by stage and by function, to the
// report.
func (r *runner) profile(ctx context.Context) error {
	r.logf("profiling the pipeline")
	out := r.cfg.OutDir
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(out, "logplug.test")
	if err := copyFile(r.pipelineBin, bin); err != nil {
		return err
	}
	if err := os.Chmod(bin, 0o755); err != nil {
		return err
	}
	prof := filepath.Join(out, "pipeline.cpu.pprof")
	cmd := exec.CommandContext(ctx, bin, "-test.run=^$", "-test.bench=^BenchmarkPipeline$/^plugin$", "-test.benchtime=4x", "-test.cpuprofile="+prof)
	cmd.Dir = r.tmp
	cmd.Env = append(os.Environ(), "LOGPLUG_BENCH_PLUGIN="+r.pluginCopies[mainPlugin], "LOGPLUG_BENCH_LINES="+r.lines)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("profile: %w\n%s", err, out)
	}
	pprof := func(args ...string) (string, error) {
		c := exec.CommandContext(ctx, "go", append(append([]string{"tool", "pprof"}, args...), bin, prof)...)
		c.Dir = r.cfg.Root
		c.Env = append(os.Environ(), workspace(r.cfg.Root)...)
		text, err := c.Output()
		if err != nil {
			return "", fmt.Errorf("go tool pprof %s: %w", strings.Join(args, " "), err)
		}
		return string(text), nil
	}
	cum, err := pprof("-top", "-cum", "-nodecount=1000")
	if err != nil {
		return err
	}
	flat, err := pprof("-top", "-nodecount=20")
	if err != nil {
		return err
	}
	r.report.Sections = append(r.report.Sections, fmt.Sprintf("## Where `logplug run`'s time goes\n\n"+
		"CPU profile of BenchmarkPipeline/plugin: goal 4's pipeline with the plugin loaded, four times over the input. "+
		"The profile and its test binary are kept in %s/: `go tool pprof %s/logplug.test %s/pipeline.cpu.pprof`.\n\n%s\n"+
		"The functions with the most samples of their own (`go tool pprof -top`):\n\n```text\n%s```\n",
		r.rel(out), r.rel(out), r.rel(out), stageTable(cum), trimPprofHeader(flat)))
	return nil
}

// A stage is a part of the pipeline, measured by the cumulative samples of
// the functions in plus, less those of the functions in minus, which they
// call. A function is named by its full name or by the part after the last
// slash.
type stage struct {
	label       string
	plus, minus []string
}

// stages are the parts of the pipeline that the profile is summed into.
var stages = []stage{
	{"reading input: run's line reader and its read-ahead goroutine", []string{"logplug.(*lineReader).next", "logplug.(*idleReader).fill"}, nil},
	{"copying each line into a string", []string{"runtime.slicebytetostring"}, nil},
	{"parsing: jsonline.Parse, including its map writes", []string{"jsonline.Parse"}, nil},
	// With queued delivery the plugin is called on its own goroutine, not
	// from Host.Send: the host's part is both, less the plugin's calls.
	{"the host: Host.Send and each plugin's goroutine (queue, labels map, panic guard, waiting for input), without the plugin",
		[]string{"host.(*Host).Send", "host.(*sink).consume"}, []string{"stdoutjson.(*logger).write", "stdoutjson.(*logger).Flush"}},
	{"the plugin: stdoutjson encoding the line", []string{"stdoutjson.(*logger).write"}, []string{"stdoutjson.(*logger).writeOut"}},
	{"the plugin: writing held lines to /dev/null", []string{"stdoutjson.(*logger).writeOut"}, nil},
	{"the garbage collector's background work", []string{"runtime.gcBgMarkWorker"}, nil},
	{"of which, inside the stages above: allocation", []string{"runtime.mallocgc"}, nil},
	{"of which, inside the stages above: write barriers and preemption while the collector runs", []string{"gcWriteBarrier", "runtime.asyncPreempt"}, nil},
}

// stageTable sums the cumulative percentages of `pprof -top -cum` output
// into stages, as a Markdown table.
func stageTable(cum string) string {
	pct := map[string]float64{}
	for _, line := range strings.Split(cum, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasSuffix(f[4], "%") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(f[4], "%"), 64)
		if err != nil {
			continue
		}
		pct[strings.Join(f[5:], " ")] = v
	}
	find := func(suffix string) float64 {
		for name, v := range pct {
			if name == suffix || strings.HasSuffix(name, "/"+suffix) {
				return v
			}
		}
		return 0
	}
	var b strings.Builder
	b.WriteString("| stage | share of CPU samples |\n|---|--:|\n")
	for _, st := range stages {
		v := 0.0
		for _, fn := range st.plus {
			v += find(fn)
		}
		for _, fn := range st.minus {
			v -= find(fn)
		}
		fmt.Fprintf(&b, "| %s | %.0f%% |\n", st.label, v)
	}
	return b.String()
}

// trimPprofHeader drops the lines of pprof's output that name local files.
func trimPprofHeader(s string) string {
	var keep []string
	for _, line := range strings.SplitAfter(s, "\n") {
		if strings.HasPrefix(line, "File:") || strings.HasPrefix(line, "Build ID:") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "")
}

// startup adds goal 5: logplug emit vs the article's host, with the four
// reference plugins.
func (r *runner) startup(ctx context.Context) error {
	r.logf("goal 5: %d starts of each program", r.cfg.StartRuns)
	plugins, logplug := r.cfg.Plugins, r.cfg.Host
	files, err := filepath.Glob(filepath.Join(plugins, "*.so"))
	if err != nil {
		return err
	}
	emit := proc{Dir: r.tmp, Args: []string{logplug, "emit", "--plugins", plugins,
		"--set", "file.path=" + filepath.Join(r.tmp, "emit.log"), "--label", "user=sample", "Hello world!"}}
	article := proc{Dir: r.tmp, Args: append([]string{r.articleHost}, files...)}
	for i := 0; i < r.cfg.StartRuns; i++ {
		for _, p := range []struct {
			name string
			proc proc
		}{{"article host", article}, {"logplug emit", emit}} {
			res, err := p.proc.run(ctx)
			if err != nil {
				r.report.fail(5, p.name, err)
				return err
			}
			r.samples.put(p.name, "ns/op", float64(res.Wall.Nanoseconds()))
		}
	}
	base := r.benchRow(5, fmt.Sprintf("article host: open, look up, Info (%d plugins)", len(files)), "article host")
	base.Measured = "base"
	row := r.benchRow(5, fmt.Sprintf("`logplug emit` (%d plugins)", len(files)), "logplug emit")
	x := row.NsOp / base.NsOp
	row.Measured, row.Target, row.Verdict = ratio(x), fmt.Sprintf("≤ %.1f×", startupMax), verdict(x <= startupMax)
	r.report.add(base, row)
	r.report.note(5, "Wall time of each program from start to exit, %d starts each, interleaved. The article host (bench/articlehost) opens the same %d files, looks up LoggingPlugin, asserts its own interface and calls Info once on each: "+
		"plugin.Open itself is the floor. `logplug emit` also discovers the folder, checks each file (its headers, build information and, through its symbol hash table, the symbols the checks need), reads the settings, configures each plugin (the file plugin opens its file), and flushes and closes them: the file plugin's Flush makes its file durable (fsync), which the article host never asks of it.",
		r.cfg.StartRuns, len(files))
	list := exec.CommandContext(ctx, logplug, "list", "--plugins", r.rel(plugins), "--set", "file.path="+filepath.Join(r.tmp, "list.log"))
	list.Dir = r.cfg.Root
	if out, err := list.Output(); err == nil {
		r.report.note(5, "`logplug list` shows how long opening each plugin took (OPEN):\n\n  ```text\n%s  ```", indent(string(out), "  "))
	}
	return nil
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "")
}

// memory adds goal 6: peak RSS of logplug run with the four plugins.
func (r *runner) memory(ctx context.Context) error {
	plugins, logplug := r.cfg.Plugins, r.cfg.Host
	logFile := filepath.Join(r.tmp, "run.log")
	rss := map[string]int64{}
	for _, in := range []struct {
		name string
		file string
		n    int
	}{{"all", r.lines, r.cfg.Lines}, {"tenth", r.fewLines, r.cfg.Lines / 10}} {
		r.logf("goal 6: logplug run with every plugin over %d lines", in.n)
		res, err := proc{Dir: r.tmp, Stdin: in.file, Args: []string{logplug, "run", "--plugins", plugins, "--set", "file.path=" + logFile}}.run(ctx)
		os.Remove(logFile)
		label := fmt.Sprintf("`logplug run`, 4 plugins, %s lines: peak RSS", thousands(int64(in.n)))
		if err != nil {
			r.report.fail(6, label, err)
			return err
		}
		rss[in.name] = res.MaxRSS
		row := Row{Goal: 6, Name: label, NsOp: float64(res.Wall.Nanoseconds()) / float64(in.n), AllocsOp: none,
			Measured: mib(res.MaxRSS), Target: fmt.Sprintf("≤ %d MiB", rssMax>>20), Verdict: verdict(res.MaxRSS > 0 && res.MaxRSS <= rssMax)}
		if res.MaxRSS == 0 {
			row.Measured, row.Verdict = "not reported", Skipped
		}
		r.report.add(row)
	}
	if rss["tenth"] > 0 {
		r.report.note(6, "Peak resident set size as the kernel reports it to the parent (getrusage), for stdoutjson, zerolog, logrus and the file plugin (writing to a file) at once; ns/op is the wall time per line. "+
			"Ten times the input takes %.2f× the memory.", float64(rss["all"])/float64(rss["tenth"]))
	}
	return nil
}

// buildTimes adds goal 7: go tool mage build when nothing changed, and full
// builds with a warm and, if configured, an empty build cache.
func (r *runner) buildTimes(ctx context.Context) error {
	root := r.cfg.Root
	mage := proc{Dir: root, Args: []string{"go", "tool", "mage", "build"}, Env: workspace(root)}
	r.logf("goal 7: go tool mage build, nothing changed")
	var noop []float64
	for range 3 {
		res, err := mage.run(ctx)
		if err != nil {
			r.report.fail(7, "build, nothing changed", err)
			return err
		}
		noop = append(noop, float64(res.Wall.Nanoseconds()))
	}
	t := time.Duration(median(noop))
	r.report.add(Row{Goal: 7, Name: "`go tool mage build`, nothing changed", NsOp: float64(t), AllocsOp: none,
		Measured: fmt.Sprintf("%.2f s", t.Seconds()), Target: fmt.Sprintf("≤ %.0f s", noopBuildMax.Seconds()), Verdict: verdict(t <= noopBuildMax)})

	full := []struct {
		label string
		env   []string
		on    bool
	}{
		{"`go tool mage build`, full, warm build cache", nil, true},
		{"`go tool mage build`, full, empty build cache", []string{"GOCACHE=" + filepath.Join(r.tmp, "gocache")}, r.cfg.ColdBuild},
	}
	for _, f := range full {
		if !f.on {
			r.report.note(7, "%s: not measured in this run.", f.label)
			continue
		}
		r.logf("goal 7: %s", f.label)
		if err := removeArtifacts(r.cfg.Host, r.cfg.Plugins); err != nil {
			return err
		}
		p := mage
		p.Env = append(slices.Clone(mage.Env), f.env...)
		res, err := p.run(ctx)
		if err != nil {
			r.report.fail(7, f.label, err)
			return err
		}
		r.report.add(Row{Goal: 7, Name: f.label, NsOp: float64(res.Wall.Nanoseconds()), AllocsOp: none,
			Measured: fmt.Sprintf("%.1f s", res.Wall.Seconds())})
	}
	r.report.note(7, "Wall time of `go tool mage build` from the repository root, which builds bin/logplug and the four plugins, two at a time; \"nothing changed\" is the median of 3. "+
		"A full build first removes them; with an empty build cache (a new GOCACHE), it also compiles the standard library, every dependency and Mage itself.")
	return nil
}

// removeArtifacts removes the host and the plugins in the folder plugins.
func removeArtifacts(host, plugins string) error {
	files, err := filepath.Glob(filepath.Join(plugins, "*.so"))
	if err != nil {
		return err
	}
	files = append(files, host)
	for _, f := range files {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

// rel returns path relative to the repository root and slash-separated,
// as the report names it, or path itself if it is outside the root.
func (r *runner) rel(path string) string {
	rel, err := filepath.Rel(r.cfg.Root, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return filepath.ToSlash(rel)
}

// sortedStrings returns s sorted.
func sortedStrings(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
