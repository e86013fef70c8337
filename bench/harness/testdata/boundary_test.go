// This file is a template: `go tool mage bench` adds it to a copy of a
// plugin (package main, with the output hook LogplugBenchOutput added) and
// runs its benchmarks there. It does not compile on its own.

package main

import (
	"io"
	"log"
	"maps"
	"os"
	"plugin"
	"slices"
	"testing"
	"time"

	"github.com/logplug/logplug/api"
	"github.com/logplug/logplug/host"
)

// pluginEnv names the other copy of the same plugin, built as a plugin with
// the host's settings.
const pluginEnv = "LOGPLUG_BENCH_PLUGIN"

// The message every benchmark sends: a short text and three labels, as in a
// request log.
const benchMsg = "request handled"

var benchLabels = map[string]string{"service": "checkout", "request_id": "4bf92f3577b34da6", "user": "user-01234"}

// queuedOptions returns the host options that turn queued delivery on, and
// false while the host has no such option. This is the one place to set it:
// queued delivery is the host's default.
func queuedOptions() (host.Options, bool) {
	return host.Options{}, true
}

// BenchmarkBoundary calls the same logger code, writing to io.Discard, as
// linked into this test binary ("static") and as loaded from a plugin file
// built from a copy of the same source ("plugin"), in alternating batches.
// Both are called through the api.Logger interface, as a host calls them.
func BenchmarkBoundary(b *testing.B) {
	LogplugBenchOutput(io.Discard)
	static := api.Logger(&LoggingPlugin)
	loaded := loadCopy(b, io.Discard)
	compare(b, []string{"static", "plugin"}, []api.Logger{static, loaded})
}

// BenchmarkHost measures what a Host adds per message over calling its one
// plugin, the statically linked logger, directly. "sync" alternates batches
// of direct calls and of sends through a Host with synchronous delivery.
// "queued" sends through a Host that queues each message for the plugin's
// own goroutine, timed until every message is delivered, and
// "queued-new-maps" does the same for the plugin's required methods alone;
// "direct" is the direct call alone, to compare them with; and "clone"
// copies the labels once,
// the allocation that queued delivery may add to keep each plugin's labels
// its own.
func BenchmarkHost(b *testing.B) {
	LogplugBenchOutput(io.Discard)
	logger := api.Logger(&LoggingPlugin)
	if _, ok := logger.(api.Closer); ok {
		b.Skip("the plugin has Close: a Host would close the logger that the other benchmarks share")
	}
	if _, ok := logger.(api.Configurer); ok {
		b.Skip("the plugin has Configure: a Host would reconfigure the logger that the other benchmarks share")
	}
	plug := &host.Plugin{Name: "static", Logger: logger}
	quiet := log.New(io.Discard, "", 0)
	b.Run("sync", func(b *testing.B) {
		h := host.New(host.Options{Synchronous: true, ErrorLog: quiet}, plug)
		defer h.Close()
		compare(b, []string{"direct", "sync"}, []api.Logger{logger, h})
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			logger.Info(benchMsg, benchLabels)
		}
	})
	b.Run("queued", func(b *testing.B) { benchQueued(b, plug, quiet) })
	// The same logger without its optional methods: a plugin that does
	// not borrow labels (see api.Borrower), which gets a new map with each
	// message.
	b.Run("queued-new-maps", func(b *testing.B) {
		benchQueued(b, &host.Plugin{Name: "static", Logger: requiredOnly{logger}}, quiet)
	})
	b.Run("clone", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cloned = maps.Clone(benchLabels)
		}
	})
}

// benchQueued sends b.N messages to plug through a Host with queued
// delivery, timed until Close has delivered them all.
func benchQueued(b *testing.B, plug *host.Plugin, errorLog *log.Logger) {
	opts, ok := queuedOptions()
	if !ok {
		b.Skip("the host has no queued delivery yet: set its option in queuedOptions")
	}
	opts.ErrorLog = errorLog
	h := host.New(opts, plug)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h.Info(benchMsg, benchLabels)
	}
	if err := h.Close(); err != nil { // waits for the queue to drain
		b.Fatal(err)
	}
	b.StopTimer()
	for _, st := range h.Plugins() {
		if c := st.Counts; c.Delivered != uint64(b.N) {
			b.Fatalf("%s: delivered %d of %d messages", st.Name, c.Delivered, b.N)
		}
	}
}

// requiredOnly has the methods of api.Logger alone, of the logger it holds.
type requiredOnly struct{ api.Logger }

// cloned keeps the compiler from optimising the clone away.
var cloned map[string]string

// compare sends the benchmark message b.N times to each logger, in
// alternating batches so that a change in the machine's load falls on all
// of them alike, and reports for each the median time per message over its
// batches, which a batch that the scheduler interrupted does not move, and
// its allocations per message, as the metrics NAME-ns/op and
// NAME-allocs/op.
func compare(b *testing.B, names []string, loggers []api.Logger) {
	const batch = 100
	allocs := make([]float64, len(loggers))
	for i, l := range loggers {
		allocs[i] = testing.AllocsPerRun(100, func() { l.Info(benchMsg, benchLabels) })
	}
	perMsg := make([][]float64, len(loggers))
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		n := min(batch, b.N-done)
		for i, l := range loggers {
			start := time.Now()
			for range n {
				l.Info(benchMsg, benchLabels)
			}
			perMsg[i] = append(perMsg[i], float64(time.Since(start).Nanoseconds())/float64(n))
		}
	}
	b.StopTimer()
	for i, name := range names {
		slices.Sort(perMsg[i])
		b.ReportMetric(perMsg[i][len(perMsg[i])/2], name+"-ns/op")
		b.ReportMetric(allocs[i], name+"-allocs/op")
	}
}

// loadCopy loads the plugin file $LOGPLUG_BENCH_PLUGIN, a copy of this
// plugin with the same output hook, and points it at w.
func loadCopy(b *testing.B, w io.Writer) api.Logger {
	path := os.Getenv(pluginEnv)
	if path == "" {
		b.Fatalf("$%s is not set: run go tool mage bench", pluginEnv)
	}
	p, err := host.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	pl, err := plugin.Open(path) // the same plugin, already open
	if err != nil {
		b.Fatal(err)
	}
	sym, err := pl.Lookup("LogplugBenchOutput")
	if err != nil {
		b.Fatal(err)
	}
	setOutput, ok := sym.(func(io.Writer))
	if !ok {
		b.Fatalf("LogplugBenchOutput is a %T, want func(io.Writer)", sym)
	}
	setOutput(w)
	return p.Logger
}
