package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// errDisk is the error of a failing writer in these tests.
var errDisk = errors.New("disk full")

// step is what one Write call of a scriptedWriter does: it writes the first
// n bytes (all of them when n is -1) and returns n and err.
type step struct {
	n   int
	err error
}

// scriptedWriter writes as its steps say, one step a call, and in full once
// they run out. out holds what it wrote.
type scriptedWriter struct {
	steps []step
	out   bytes.Buffer
}

func (w *scriptedWriter) Write(p []byte) (int, error) {
	s := step{n: -1}
	if len(w.steps) > 0 {
		s, w.steps = w.steps[0], w.steps[1:]
	}
	if s.n < 0 || s.n > len(p) {
		s.n = len(p)
	}
	w.out.Write(p[:s.n])
	return s.n, s.err
}

// line returns the line the plugin writes for l.Info(msg(i), nil).
func line(i int) string { return fmt.Sprintf(`{"level":"info","msg":"%s"}`+"\n", msg(i)) }

// msg returns the i-th message of a test.
func msg(i int) string { return fmt.Sprintf("m%d", i) }

func TestFailures(t *testing.T) {
	tests := []struct {
		name string
		hold bool
		// steps are the writer's answers; before messages are sent and
		// flushed, then after more.
		steps         []step
		before, after int
		// want is the count Failures returns, wantErr its error, wantOut
		// what a reader of the output gets.
		want    uint64
		wantErr string
		wantOut string
	}{
		{"every write succeeds", false, nil, 2, 1,
			0, "", line(0) + line(1) + line(2)},
		{"each failed write of one line counts it", false,
			[]step{{0, errDisk}, {0, errDisk}, {0, errDisk}}, 3, 1,
			3, "write output: disk full", line(3)},
		{"a failed write of held lines counts every line", true,
			[]step{{0, errDisk}}, 5, 1,
			5, "write output: disk full", line(5)},
		{"a write cut inside a line counts it and the lines after it", true,
			[]step{{len(line(0)) + 3, errDisk}}, 3, 1,
			2, "write output: disk full", line(0) + line(1)[:3] + "\n" + line(3)},
		{"a write cut at a line's end leaves no broken line", true,
			[]step{{len(line(0)), errDisk}}, 3, 1,
			2, "write output: disk full", line(0) + line(3)},
		{"a short write without an error fails with short write", false,
			[]step{{3, nil}}, 1, 1,
			1, "write output: short write", line(0)[:3] + "\n" + line(1)},
		{"the newline ending a cut line is not counted as a message", false,
			[]step{{3, errDisk}, {0, errDisk}}, 1, 2,
			2, "write output: disk full", line(0)[:3] + "\n" + line(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &scriptedWriter{steps: tt.steps}
			l := &logger{out: w}
			if tt.hold {
				l.Hold()
			}
			for i := range tt.before + tt.after {
				l.Info(msg(i), nil)
				if i == tt.before-1 {
					if err := l.Flush(); err != nil {
						t.Errorf("Flush = %v, want nil: Failures reports failed writes", err)
					}
				}
			}
			if err := l.Flush(); err != nil {
				t.Errorf("Flush = %v, want nil: Failures reports failed writes", err)
			}
			n, last := l.Failures()
			if n != tt.want || errString(last) != tt.wantErr {
				t.Errorf("Failures() = %d, %v; want %d, %q", n, last, tt.want, tt.wantErr)
			}
			if got := w.out.String(); got != tt.wantOut {
				t.Errorf("output is\n%q\nwant\n%q", got, tt.wantOut)
			}
		})
	}
}

// errString returns err's message, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestFailuresOnRealFiles writes to a pipe whose reader is gone and to
// /dev/full, whose writes the kernel refuses, both without Hold and with it.
func TestFailuresOnRealFiles(t *testing.T) {
	tests := []struct {
		name    string
		open    func(t *testing.T) *os.File
		errno   syscall.Errno
		wantErr string
	}{
		{"closed pipe", closedPipe, syscall.EPIPE, "write |1: broken pipe"},
		{"/dev/full", devFull, syscall.ENOSPC, "write /dev/full: no space left on device"},
	}
	const unheld, held = 3, 4
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &logger{out: tt.open(t)}
			for i := range unheld {
				l.Info(msg(i), map[string]string{"k": "v"})
			}
			if n, _ := l.Failures(); n != unheld {
				t.Errorf("Failures() = %d after %d messages written one at a time, want %d", n, unheld, unheld)
			}
			l.Hold()
			for i := range held {
				l.Warn(msg(i), nil)
			}
			if err := l.Flush(); err != nil {
				t.Errorf("Flush = %v, want nil", err)
			}
			n, last := l.Failures()
			if n != unheld+held || !errors.Is(last, tt.errno) || last.Error() != tt.wantErr {
				t.Errorf("Failures() = %d, %v; want %d, %q", n, last, unheld+held, tt.wantErr)
			}
		})
	}
}

// closedPipe returns the writing end of a pipe whose reading end is closed.
// A write to it fails with EPIPE: a test binary dies of SIGPIPE only for
// writes to standard output and standard error.
func closedPipe(t *testing.T) *os.File {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return w
}

// devFull returns /dev/full, opened for writing.
func devFull(t *testing.T) *os.File {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full on this system: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestFailuresWhileWriting reads Failures while 8 goroutines write to an
// output that fails every write: the count never goes down, comes with an
// error, and ends at the number of messages.
func TestFailuresWhileWriting(t *testing.T) {
	for _, hold := range []bool{false, true} {
		t.Run(fmt.Sprintf("hold=%v", hold), func(t *testing.T) {
			l := &logger{out: failingWriter{}}
			if hold {
				l.Hold()
			}
			const goroutines, each = 8, 500
			var done atomic.Bool
			read := make(chan error)
			go func() { read <- readFailuresUntil(l, &done) }()
			var wg sync.WaitGroup
			for range goroutines {
				wg.Go(func() {
					for i := range each {
						l.Info(msg(i), map[string]string{"k": "v"})
					}
				})
			}
			wg.Wait()
			if err := l.Flush(); err != nil {
				t.Errorf("Flush = %v, want nil", err)
			}
			done.Store(true)
			if err := <-read; err != nil {
				t.Error(err)
			}
			if n, last := l.Failures(); n != goroutines*each || !errors.Is(last, errDisk) {
				t.Errorf("Failures() = %d, %v; want %d, %v", n, last, goroutines*each, errDisk)
			}
		})
	}
}

// readFailuresUntil calls l.Failures until done, and reports a count that
// went down or came without an error.
func readFailuresUntil(l *logger, done *atomic.Bool) error {
	var prev uint64
	for !done.Load() {
		n, last := l.Failures()
		switch {
		case n < prev:
			return fmt.Errorf("Failures() went down from %d to %d", prev, n)
		case n > 0 && last == nil:
			return fmt.Errorf("Failures() = %d, nil; want an error with a count", n)
		}
		prev = n
	}
	return nil
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write(p []byte) (int, error) { return 0, errDisk }

func TestReopenWritesWhatIsHeld(t *testing.T) {
	w := &writes{}
	l := &logger{out: w}
	l.Hold()
	for i := range 3 {
		l.Info(msg(i), nil)
	}
	if err := l.Reopen(); err != nil {
		t.Errorf("Reopen = %v, want nil", err)
	}
	if got := strings.Join(w.calls, "|"); got != line(0)+line(1)+line(2) {
		t.Errorf("Reopen wrote %q, want the 3 held lines in one write", got)
	}
}
