package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logplug/logplug/host"
)

// idleChunk is the size of each read from the input, and idleAhead the
// number of reads that may wait for the caller.
const (
	idleChunk = 64 << 10
	idleAhead = 4
)

// errInputStopped is what an idleReader returns, in place of more input,
// once stop was called and everything read before has been returned.
var errInputStopped = errors.New("input stopped")

// lineGrace bounds how long an idleReader, once stopped, waits for the
// rest of a line it has read part of, and, for a source whose reads it
// can't cancel, for a read under way.
const lineGrace = time.Second

// A deadliner is a source whose blocked Read can be made to return at
// once, as an *os.File on a pipe or socket can (see interruptibleStdin).
type deadliner interface {
	SetReadDeadline(time.Time) error
}

// An idleReader reads its source in a goroutine of its own, up to idleAhead
// reads ahead of its caller, and calls onIdle each time the caller has read
// everything that has arrived and would have to wait for more. The goroutine
// ends at the end of the source, at its first error, or once stopped.
//
// It counts every byte it takes from the source, and the newlines among
// them, so that what was taken and never passed on can be reported.
type idleReader struct {
	ready  chan idleRead // reads, in order
	free   chan []byte   // buffers to read into
	cur    idleRead      // the read being consumed
	off    int           // into cur.data
	onIdle func()

	src        io.Reader
	stopping   chan struct{} // closed by stop
	stopOnce   sync.Once
	cancelable bool          // src's reads can be cut short (a deadliner)
	filled     chan struct{} // closed when the goroutine has ended

	taken, takenLines atomic.Uint64 // bytes taken from src, and newlines among them
	endsInLine        atomic.Bool   // the last byte taken is not a newline
}

// idleRead is the outcome of one Read of the source.
type idleRead struct {
	data []byte
	err  error
}

func newIdleReader(r io.Reader, onIdle func()) *idleReader {
	ir := &idleReader{
		// Room for every buffer, the rest of a line and errInputStopped,
		// so that fill never waits to pass a read on.
		ready:    make(chan idleRead, idleAhead+4),
		free:     make(chan []byte, idleAhead+2),
		onIdle:   onIdle,
		src:      r,
		stopping: make(chan struct{}),
		filled:   make(chan struct{}),
	}
	if d, ok := r.(deadliner); ok {
		// An *os.File that the poller does not manage says so here.
		ir.cancelable = d.SetReadDeadline(time.Time{}) == nil
	}
	for range idleAhead + 2 {
		ir.free <- make([]byte, idleChunk)
	}
	go ir.fill()
	return ir
}

// fill reads the source until it fails or stop is called, passing each
// read to Read.
func (ir *idleReader) fill() {
	defer close(ir.filled)
	endsLine := true // what was taken so far ends with a newline
	for {
		var buf []byte
		select {
		case buf = <-ir.free:
		case <-ir.stopping:
			ir.finish(endsLine)
			return
		}
		n, err := ir.src.Read(buf)
		if n > 0 {
			ir.count(buf[:n])
			endsLine = buf[n-1] == '\n'
			ir.endsInLine.Store(!endsLine)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && ir.isStopping() {
			err = nil // cut short by stop; the next turn finishes
		}
		if n == 0 && err == nil {
			ir.free <- buf
			continue
		}
		ir.ready <- idleRead{data: buf[:n], err: err}
		if err != nil {
			return
		}
	}
}

// count counts bytes taken from the source.
func (ir *idleReader) count(p []byte) {
	ir.taken.Add(uint64(len(p)))
	ir.takenLines.Add(uint64(bytes.Count(p, []byte{'\n'})))
}

func (ir *idleReader) isStopping() bool {
	select {
	case <-ir.stopping:
		return true
	default:
		return false
	}
}

// finish ends the reads once stopped: if what was taken ends inside a
// line, it takes the rest of that line, one byte at a time so as to take
// nothing beyond it, for at most lineGrace (only from a source whose reads
// can be cut short); then it passes errInputStopped.
func (ir *idleReader) finish(endsLine bool) {
	var rest []byte
	if !endsLine && ir.cancelable {
		d := ir.src.(deadliner)
		d.SetReadDeadline(time.Now().Add(lineGrace))
		var b [1]byte
		for len(rest) < idleChunk {
			n, err := ir.src.Read(b[:])
			if n == 1 {
				ir.count(b[:])
				rest = append(rest, b[0])
				ir.endsInLine.Store(b[0] != '\n')
				if b[0] == '\n' {
					break
				}
			}
			if err != nil {
				break
			}
		}
	}
	if len(rest) > 0 {
		ir.ready <- idleRead{data: rest}
	}
	ir.ready <- idleRead{err: errInputStopped}
}

// stop makes the reader take nothing more from its source but the rest of
// a line begun: a read under way is cut short if the source allows it,
// and Read then returns what was taken, then errInputStopped. It does not
// wait.
func (ir *idleReader) stop() {
	ir.stopOnce.Do(func() {
		close(ir.stopping)
		if ir.cancelable {
			ir.src.(deadliner).SetReadDeadline(time.Now())
		}
	})
}

// Read copies what the source has given, waiting for more only when there
// is nothing left, after calling onIdle.
func (ir *idleReader) Read(p []byte) (int, error) {
	for ir.off == len(ir.cur.data) {
		if ir.cur.err != nil {
			return 0, ir.cur.err
		}
		if ir.cur.data != nil {
			ir.free <- ir.cur.data[:cap(ir.cur.data)]
		}
		ir.cur, ir.off = ir.next(), 0
	}
	n := copy(p, ir.cur.data[ir.off:])
	ir.off += n
	return n, nil
}

// next returns the next read, calling onIdle before it waits. Once
// stopped, it waits at most lineGrace for a read that can't be cut short.
func (ir *idleReader) next() idleRead {
	select {
	case r := <-ir.ready:
		return r
	default:
	}
	if !ir.isStopping() {
		ir.onIdle()
		select {
		case r := <-ir.ready:
			return r
		case <-ir.stopping:
		}
	}
	if ir.cancelable {
		return <-ir.ready
	}
	select {
	case r := <-ir.ready:
		return r
	case <-time.After(lineGrace):
		return idleRead{err: errInputStopped}
	}
}

// halt stops the reader at once: it cuts short a read under way, even of
// the rest of a line, and waits for the reading goroutine to end (at most
// lineGrace for a source whose reads can't be cut short), so that the
// counts of what was taken are final. It reports whether they are.
func (ir *idleReader) halt() bool {
	ir.stop()
	if ir.cancelable {
		ir.src.(deadliner).SetReadDeadline(time.Now())
	}
	select {
	case <-ir.filled:
		return true
	case <-time.After(lineGrace):
		return false
	}
}

// takenCounts returns how many bytes were taken from the source, how
// many newlines were among them, and whether the last of them is not a
// newline.
func (ir *idleReader) takenCounts() (bytes, newlines uint64, inLine bool) {
	return ir.taken.Load(), ir.takenLines.Load(), ir.endsInLine.Load()
}

// idleFlusher returns a function that flushes the plugins of h that hold
// messages, reporting the first failure of each plugin's flush on stderr;
// the failures are also counted in the plugin's Counts.Errors.
func idleFlusher(h *host.Host, stderr io.Writer) func() {
	var once sync.Once
	return func() {
		if err := h.Idle(); err != nil {
			once.Do(func() {
				fmt.Fprintf(stderr, "%s: flushing plugins while input is idle: %v (further failures are counted, not reported)\n", progName, err)
			})
		}
	}
}
