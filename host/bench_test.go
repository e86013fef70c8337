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

// BenchmarkSendQueued is Send with queued delivery, including the time
// the plugins' goroutines take to drain the queues: to 1 and 4 plugins, to
// a plugin that borrows labels (see api.Borrower: one map, refilled,
// instead of a new map per message), and without labels (no map to copy).
func BenchmarkSendQueued(b *testing.B) {
	tests := []struct {
		name    string
		plugins int
		logger  api.Logger
		labels  map[string]string
	}{
		{"plugins=1", 1, nopLogger{}, benchLabels},
		{"plugins=4", 4, nopLogger{}, benchLabels},
		{"borrowing", 1, nopBorrower{}, benchLabels},
		{"no-labels", 1, nopLogger{}, nil},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			var plugins []*Plugin
			for i := range tt.plugins {
				plugins = append(plugins, &Plugin{Name: fmt.Sprint("nop", i), Logger: tt.logger})
			}
			h := New(Options{}, plugins...)
			b.ReportAllocs()
			for b.Loop() {
				h.Info("request served", tt.labels)
			}
			h.Close()
		})
	}
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
