package host

import (
	"fmt"
	"testing"

	"github.com/logplug/logplug/api"
)

var benchLabels = map[string]string{"method": "GET", "path": "/", "status": "200"}

// BenchmarkDirectCall is the baseline: the plugin's method called directly.
func BenchmarkDirectCall(b *testing.B) {
	var l api.Logger = nopLogger{}
	b.ReportAllocs()
	for b.Loop() {
		l.Info("request served", benchLabels)
	}
}

// BenchmarkSendSynchronous is Send with synchronous delivery, panic guard
// included.
func BenchmarkSendSynchronous(b *testing.B) {
	h := New(Options{Synchronous: true}, &Plugin{Name: "nop", Logger: nopLogger{}})
	b.ReportAllocs()
	for b.Loop() {
		h.Info("request served", benchLabels)
	}
	h.Close()
}

// BenchmarkSendQueued is Send with queued delivery, to 1 and 4 plugins,
// including the time the plugins' goroutines take to drain the queues.
func BenchmarkSendQueued(b *testing.B) {
	for _, n := range []int{1, 4} {
		b.Run(fmt.Sprintf("plugins=%d", n), func(b *testing.B) {
			var plugins []*Plugin
			for i := range n {
				plugins = append(plugins, &Plugin{Name: fmt.Sprint("nop", i), Logger: nopLogger{}})
			}
			h := New(Options{}, plugins...)
			b.ReportAllocs()
			for b.Loop() {
				h.Info("request served", benchLabels)
			}
			h.Close()
		})
	}
}

// BenchmarkSendQueuedBorrowing is queued delivery to a plugin that
// borrows labels (see api.Borrower): one map, refilled, instead of a new
// map per message.
func BenchmarkSendQueuedBorrowing(b *testing.B) {
	h := New(Options{}, &Plugin{Name: "nop", Logger: nopBorrower{}})
	b.ReportAllocs()
	for b.Loop() {
		h.Info("request served", benchLabels)
	}
	h.Close()
}

// BenchmarkSendQueuedNoLabels is queued delivery of messages without
// labels: no map to copy.
func BenchmarkSendQueuedNoLabels(b *testing.B) {
	h := New(Options{}, &Plugin{Name: "nop", Logger: nopLogger{}})
	b.ReportAllocs()
	for b.Loop() {
		h.Info("request served", nil)
	}
	h.Close()
}

// nopLogger is a plugin that does nothing, so that the benchmarks time the
// host alone.
type nopLogger struct{}

func (nopLogger) Log(string, map[string]string)  {}
func (nopLogger) Info(string, map[string]string) {}
func (nopLogger) Warn(string, map[string]string) {}

var _ api.Logger = nopLogger{}

// nopBorrower is a nopLogger that borrows labels.
type nopBorrower struct{ nopLogger }

func (nopBorrower) BorrowsLabels() bool { return true }

var _ api.Borrower = nopBorrower{}
