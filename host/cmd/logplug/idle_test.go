package main

import (
	"bytes"
	"errors"
	"io"
	"log"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/logplug/logplug/host"
)

func TestIdleReaderReadsEverything(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 3*idleChunk/16+5) // several chunks
	errSource := errors.New("source failed")
	tests := []struct {
		name    string
		source  io.Reader
		want    string
		wantErr error
	}{
		{"empty", strings.NewReader(""), "", io.EOF},
		{"short", strings.NewReader("a\nb\n"), "a\nb\n", io.EOF},
		{"several chunks", strings.NewReader(big), big, io.EOF},
		{"one byte at a time", iotest.OneByteReader(strings.NewReader("a\nb\n")), "a\nb\n", io.EOF},
		{"data with EOF", iotest.DataErrReader(strings.NewReader("a\nb")), "a\nb", io.EOF},
		{"error after data", io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(errSource)), "abc", errSource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idles := 0
			r := newIdleReader(tt.source, func() { idles++ })
			var got bytes.Buffer
			buf := make([]byte, 1000) // smaller than a chunk
			var err error
			for err == nil {
				var n int
				n, err = r.Read(buf)
				got.Write(buf[:n])
			}
			if got.String() != tt.want {
				t.Errorf("read %d bytes %.40q, want %d bytes %.40q", got.Len(), got.String(), len(tt.want), tt.want)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			if _, again := r.Read(buf); again != err {
				t.Errorf("a Read after the error returned %v, want %v again", again, err)
			}
		})
	}
}

func TestIdleReaderCallsOnIdleBeforeWaiting(t *testing.T) {
	pr, pw := io.Pipe()
	idle := make(chan struct{}, 10)
	lines := newLineReader(newIdleReader(pr, func() { idle <- struct{}{} }), 100)
	got := make(chan string)
	go func() {
		for {
			line, err := lines.next()
			if err != nil {
				close(got)
				return
			}
			got <- string(line)
		}
	}()
	for _, line := range []string{"first", "second"} {
		if _, err := io.WriteString(pw, line+"\n"); err != nil {
			t.Fatal(err)
		}
		if g := <-got; g != line {
			t.Fatalf("read %q, want %q", g, line)
		}
		// The reader has consumed everything written: it must say it is
		// idle before it waits for the next line.
		receive(t, idle, "onIdle after "+line)
	}
	pw.Close()
	if g, ok := <-got; ok {
		t.Errorf("read %q after the end of input", g)
	}
}

// receive waits for a value on ch, failing the test if none comes in a
// minute (a deadlock, not a slow machine).
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatalf("%s: nothing after a minute", what)
		panic("unreachable")
	}
}

// holdingLogger holds what it is sent until Flush, as a plugin that
// implements api.Holder may.
type holdingLogger struct {
	mu      sync.Mutex
	held    bool
	pending []string
	written []string
	flushed chan []string
}

func (l *holdingLogger) Hold() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held = true
}

func (l *holdingLogger) write(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, msg)
	if !l.held {
		l.written = append(l.written, l.pending...)
		l.pending = nil
	}
}

func (l *holdingLogger) Log(msg string, _ map[string]string)  { l.write(msg) }
func (l *holdingLogger) Info(msg string, _ map[string]string) { l.write(msg) }
func (l *holdingLogger) Warn(msg string, _ map[string]string) { l.write(msg) }

func (l *holdingLogger) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.written = append(l.written, l.pending...)
	l.pending = nil
	if len(l.written) > 0 {
		l.flushed <- append([]string(nil), l.written...)
	}
	return nil
}

// TestFeedFlushesWhenInputIsIdle checks that a plugin that holds messages
// has written every line that arrived by the time run waits for more input.
func TestFeedFlushesWhenInputIsIdle(t *testing.T) {
	l := &holdingLogger{flushed: make(chan []string, 10)}
	h := host.New(host.Options{FlushWhenIdle: true, ErrorLog: log.New(io.Discard, "", 0)}, &host.Plugin{Name: "holder", Logger: l})
	pr, pw := io.Pipe()
	done := make(chan error)
	go func() {
		done <- newFeeder(h, pr, 100, io.Discard).run()
	}()
	if _, err := io.WriteString(pw, "one\ntwo\n"); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, l.flushed, "a flush of the first lines"); strings.Join(got, " ") != "one two" {
		t.Errorf("written when input went idle: %q, want [one two]", got)
	}
	if _, err := io.WriteString(pw, "three\n"); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, l.flushed, "a flush of the third line"); strings.Join(got, " ") != "one two three" {
		t.Errorf("written when input went idle again: %q, want [one two three]", got)
	}
	pw.Close()
	if err := receive(t, done, "the end of feed"); err != nil {
		t.Fatal(err)
	}
}

// TestIdleReaderStopFinishesTheLine stops a reader of a pipe while it
// waits for input in the middle of a line: it takes the rest of that line
// and nothing beyond it, which stays in the pipe for the next reader, and
// counts what it took.
func TestIdleReaderStopFinishesTheLine(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	r := newIdleReader(pr, func() {})
	if !r.cancelable {
		t.Fatal("a reader of an os.Pipe can't cut its reads short")
	}
	io.WriteString(pw, "a\nb\npart")
	var got bytes.Buffer
	buf := make([]byte, 100)
	for got.Len() < len("a\nb\npart") {
		n, err := r.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got.Write(buf[:n])
	}
	r.stop()
	io.WriteString(pw, "ial\nnext\n")
	for {
		n, err := r.Read(buf)
		got.Write(buf[:n])
		if err == errInputStopped {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// A read woken by the input before the deadline took effect may take
	// "next\n" too; either way the reader returns whole lines, every byte
	// it took, and nothing else, and the rest stays in the pipe.
	pw.Close()
	pr.SetReadDeadline(time.Time{})
	rest, err := io.ReadAll(pr)
	if err != nil {
		t.Fatal(err)
	}
	const all = "a\nb\npartial\nnext\n"
	if got.String()+string(rest) != all || (got.String() != "a\nb\npartial\n" && got.String() != all) {
		t.Errorf("read %q, and the pipe holds %q; want whole lines read, the rest left, %q in all", got.String(), rest, all)
	}
	if taken, newlines, inLine := r.takenCounts(); taken != uint64(got.Len()) || newlines != uint64(strings.Count(got.String(), "\n")) || inLine {
		t.Errorf("takenCounts() = %d, %d, %v; want %d, %d, false", taken, newlines, inLine, got.Len(), strings.Count(got.String(), "\n"))
	}
}
