package main

import (
	"fmt"
	"io"
	"log"
	"os"
	"plugin"
	"runtime/debug"
	"testing"

	"github.com/logplug/logplug/api"
	"github.com/logplug/logplug/host"
)

// Environment variables that BenchmarkPipeline reads; `go tool mage bench`
// sets them.
const (
	// benchLinesEnv names a file of input lines.
	benchLinesEnv = "LOGPLUG_BENCH_LINES"
	// benchPluginEnv names a copy of the stdoutjson plugin that has the
	// output hook LogplugBenchOutput.
	benchPluginEnv = "LOGPLUG_BENCH_PLUGIN"
)

// staticLogger, when set, returns a stdoutjson logger linked into this test
// binary that writes to w. `go tool mage bench` sets it by overlaying a copy
// of the plugin's source on these tests; it is nil otherwise.
var staticLogger func(w io.Writer) api.Logger

// BenchmarkPipeline measures what `logplug run` does with each line of the
// file $LOGPLUG_BENCH_LINES: read it with run's line reader, parse it, send
// it through a Host to a stdoutjson logger that writes to /dev/null, then
// close the Host, with run's host options and garbage collector setting. One op is the whole file. "static" has the logger linked
// into the test binary, "plugin" loads it from the plugin file
// $LOGPLUG_BENCH_PLUGIN; loading plugins needs a test binary built with the
// host's settings, as `go tool mage bench` builds it.
func BenchmarkPipeline(b *testing.B) {
	path := os.Getenv(benchLinesEnv)
	if path == "" {
		b.Skipf("$%s is not set: run go tool mage bench", benchLinesEnv)
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devNull.Close()
	b.Run("static", func(b *testing.B) {
		if staticLogger == nil {
			b.Skip("no logger linked in: run go tool mage bench")
		}
		benchPipeline(b, path, staticLogger(devNull))
	})
	b.Run("plugin", func(b *testing.B) {
		so := os.Getenv(benchPluginEnv)
		if so == "" {
			b.Skipf("$%s is not set: run go tool mage bench", benchPluginEnv)
		}
		l, err := loadWithOutput(so, devNull)
		if err != nil {
			b.Fatal(err)
		}
		benchPipeline(b, path, l)
	})
}

// benchPipeline runs the file at path through a Host that delivers to l,
// b.N times.
func benchPipeline(b *testing.B, path string, l api.Logger) {
	if os.Getenv("GOGC") == "" { // as `logplug run` does
		defer debug.SetGCPercent(debug.SetGCPercent(runGCPercent))
	}
	b.ReportAllocs()
	var lines uint64
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		// The options of `logplug run`: it calls h.Idle whenever input is idle.
		opts := host.Options{ErrorLog: log.New(io.Discard, "", 0), FlushWhenIdle: true}
		h := host.New(opts, &host.Plugin{Name: "stdoutjson", Logger: l})
		if err := newFeeder(h, f, defaultMaxLine, io.Discard).run(); err != nil {
			b.Fatal(err)
		}
		if err := shutdown(h, io.Discard, false); err != nil {
			b.Fatal(err)
		}
		f.Close()
		lines += h.Plugins()[0].Counts.Delivered
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(lines), "ns/line")
}

// loadWithOutput loads the plugin file at path and points it at w with its
// output hook, LogplugBenchOutput.
func loadWithOutput(path string, w io.Writer) (api.Logger, error) {
	p, err := host.Load(path)
	if err != nil {
		return nil, err
	}
	pl, err := plugin.Open(path) // the same plugin, already open
	if err != nil {
		return nil, err
	}
	sym, err := pl.Lookup("LogplugBenchOutput")
	if err != nil {
		return nil, err
	}
	setOutput, ok := sym.(func(io.Writer))
	if !ok {
		return nil, fmt.Errorf("%s: LogplugBenchOutput is a %T, want func(io.Writer)", path, sym)
	}
	setOutput(w)
	return p.Logger, nil
}
