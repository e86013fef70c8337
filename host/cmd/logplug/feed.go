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
// signal while a read is blocked; stop makes it send nothing more.
//
// Every byte it takes from the input is accounted for: it is part of a
// line handled (sent, or skipped as empty or too long, and counted), or,
// if run is stopped before it is handled, reported by untaken.
type feeder struct {
	h       *host.Host
	in      *idleReader
	lines   *lineReader
	maxLine int
	stderr  io.Writer

	mu      sync.Mutex // held while a line is handled
	stopped bool       // under mu
	counts  inputCounts
}

// inputCounts counts the lines of input handled. A line is counted before
// it is sent, so that one being sent when run gives up is counted too.
type inputCounts struct {
	read    atomic.Uint64 // every line handled, whatever became of it
	sent    atomic.Uint64 // lines the host accepted as messages
	empty   atomic.Uint64 // empty lines, skipped
	tooLong atomic.Uint64 // lines longer than the limit, skipped and reported
	bytes   atomic.Uint64 // bytes of input of the lines handled, endings included
	ended   atomic.Uint64 // lines handled that ended with a newline
}

func newFeeder(h *host.Host, r io.Reader, maxLine int, stderr io.Writer) *feeder {
	// Reading through an idleReader, the feeder flushes the plugins that
	// hold output (h.Idle) whenever it has sent all the input that arrived.
	in := newIdleReader(r, idleFlusher(h, stderr))
	return &feeder{h: h, in: in, lines: newLineReader(in, maxLine), maxLine: maxLine, stderr: stderr}
}

// run reads and sends lines until the input ends, reading fails, the
// input is stopped (see idleReader.stop) and every whole line read before
// is sent, or stop is called (or the host is closed); it returns the read
// error, if any.
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
		case err == io.EOF, errors.Is(err, errInputStopped):
			f.mu.Unlock()
			return nil
		case err != nil && !errors.Is(err, errLineTooLong):
			f.mu.Unlock()
			return err
		}
		f.handled()
		switch {
		case errors.Is(err, errLineTooLong):
			f.counts.tooLong.Add(1)
			fmt.Fprintf(f.stderr, "%s: input line %d: longer than %d bytes, skipped\n", progName, f.lines.n, f.maxLine)
		case len(line) == 0:
			f.counts.empty.Add(1)
		default:
			jsonline.Parse(string(line), &rec)
			f.counts.sent.Add(1)
			before := f.h.Accepted()
			f.h.Send(rec.Level, rec.Msg, rec.Labels)
			if f.h.Accepted() == before {
				// The host was closed under us: the line was not sent
				// after all, and is not handled.
				f.counts.sent.Add(^uint64(0))
				f.unhandled()
				f.stopped = true
				f.mu.Unlock()
				return nil
			}
		}
		f.mu.Unlock()
	}
}

// handled counts the line last read as handled, and unhandled takes that
// back.
func (f *feeder) handled() {
	f.counts.read.Add(1)
	f.counts.bytes.Add(uint64(f.lines.raw))
	if f.lines.endedLine() {
		f.counts.ended.Add(1)
	}
}

func (f *feeder) unhandled() {
	f.counts.read.Add(^uint64(0))
	f.counts.bytes.Add(-uint64(f.lines.raw))
	if f.lines.endedLine() {
		f.counts.ended.Add(^uint64(0))
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

// untaken returns what was taken from the input and not handled: the
// whole lines, whether a part of one more line, and the bytes in all.
// Call it once the reading has halted (see idleReader.halt).
func (f *feeder) untaken() (lines uint64, partial bool, bytes uint64) {
	taken, newlines, inLine := f.in.takenCounts()
	bytes = taken - f.counts.bytes.Load()
	lines = newlines - f.counts.ended.Load()
	return lines, bytes > 0 && inLine, bytes
}

// untakenSummary describes what untaken returns, or returns "" when
// nothing was left.
func (f *feeder) untakenSummary() string {
	lines, partial, bytes := f.untaken()
	if bytes == 0 {
		return ""
	}
	what := fmt.Sprintf("%d lines", lines)
	if partial {
		what += " and part of a line"
	}
	return fmt.Sprintf("%s (%d bytes) taken from the input were not sent", what, bytes)
}
