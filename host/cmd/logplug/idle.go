package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/logplug/logplug/host"
)

// idleChunk is the size of each read from the input, and idleAhead the
// number of reads that may wait for the caller.
const (
	idleChunk = 64 << 10
	idleAhead = 4
)

// An idleReader reads its source in a goroutine of its own, up to idleAhead
// reads ahead of its caller, and calls onIdle each time the caller has read
// everything that has arrived and would have to wait for more. The goroutine
// ends at the end of the source or at its first error.
type idleReader struct {
	ready  chan idleRead // reads, in order
	free   chan []byte   // buffers to read into
	cur    idleRead      // the read being consumed
	off    int           // into cur.data
	onIdle func()
}

// idleRead is the outcome of one Read of the source.
type idleRead struct {
	data []byte
	err  error
}

func newIdleReader(r io.Reader, onIdle func()) *idleReader {
	ir := &idleReader{
		ready:  make(chan idleRead, idleAhead),
		free:   make(chan []byte, idleAhead+2),
		onIdle: onIdle,
	}
	for range idleAhead + 2 {
		ir.free <- make([]byte, idleChunk)
	}
	go ir.fill(r)
	return ir
}

// fill reads r until it fails, passing each read to Read.
func (ir *idleReader) fill(r io.Reader) {
	for {
		buf := <-ir.free
		n, err := r.Read(buf)
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
		select {
		case ir.cur = <-ir.ready:
		default:
			ir.onIdle()
			ir.cur = <-ir.ready
		}
		ir.off = 0
	}
	n := copy(p, ir.cur.data[ir.off:])
	ir.off += n
	return n, nil
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
