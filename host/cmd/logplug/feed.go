package main

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/logplug/logplug/host"
	"github.com/logplug/logplug/host/internal/jsonline"
)

// A feeder reads run's input line by line and sends each line to the host.
// It runs in a goroutine of its own, so that run can stop reading on a
// signal while a read is blocked; stop makes it send nothing more and
// returns exact counts.
type feeder struct {
	h       *host.Host
	lines   *lineReader
	maxLine int
	stderr  io.Writer

	mu      sync.Mutex // held while a line is handled; stop waits for it
	stopped bool       // under mu
	counts  inputCounts
}

// inputCounts counts the lines of input handled.
type inputCounts struct {
	read    atomic.Uint64 // every line handled, whatever became of it
	sent    atomic.Uint64 // lines the host accepted as messages
	empty   atomic.Uint64 // empty lines, skipped
	tooLong atomic.Uint64 // lines longer than the limit, skipped and reported
}

func newFeeder(h *host.Host, r io.Reader, maxLine int, stderr io.Writer) *feeder {
	// Reading through an idleReader, the feeder flushes the plugins that
	// hold output (h.Idle) whenever it has sent all the input that arrived.
	return &feeder{h: h, lines: newLineReader(newIdleReader(r, idleFlusher(h, stderr)), maxLine), maxLine: maxLine, stderr: stderr}
}

// run reads and sends lines until the input ends, reading fails, or stop
// is called (or the host is closed), and returns the read error, if any.
func (f *feeder) run() error {
	var rec jsonline.Record
	for {
		line, err := f.lines.next()
		f.mu.Lock()
		if f.stopped {
			f.mu.Unlock()
			return nil // a line read after stop is not handled
		}
		switch {
		case err == io.EOF:
			f.mu.Unlock()
			return nil
		case errors.Is(err, errLineTooLong):
			f.counts.read.Add(1)
			f.counts.tooLong.Add(1)
			fmt.Fprintf(f.stderr, "%s: input line %d: longer than %d bytes, skipped\n", progName, f.lines.n, f.maxLine)
		case err != nil:
			f.mu.Unlock()
			return err
		case len(line) == 0:
			f.counts.read.Add(1)
			f.counts.empty.Add(1)
		default:
			jsonline.Parse(string(line), &rec)
			before := f.h.Accepted()
			f.h.Send(rec.Level, rec.Msg, rec.Labels)
			if f.h.Accepted() == before {
				// The host was closed under us: the line is not sent,
				// so it does not count as read.
				f.stopped = true
				f.mu.Unlock()
				return nil
			}
			f.counts.read.Add(1)
			f.counts.sent.Add(1)
		}
		f.mu.Unlock()
	}
}

// stop makes run handle no more lines, waiting for a line being handled,
// if any, so that the counts that follow are final.
func (f *feeder) stop() {
	f.mu.Lock()
	f.stopped = true
	f.mu.Unlock()
}

// summary describes the input handled, as "N lines read[how]: S sent, E
// empty, T too long".
func (f *feeder) summary(how string) string {
	return fmt.Sprintf("%d lines read%s: %d sent, %d empty, %d too long",
		f.counts.read.Load(), how, f.counts.sent.Load(), f.counts.empty.Load(), f.counts.tooLong.Load())
}
