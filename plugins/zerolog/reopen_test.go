package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// send sends n messages named prefix and a number, alternating levels.
func send(l *logger, prefix string, n int) {
	for i := range n {
		msg := fmt.Sprintf("%s %d", prefix, i)
		if i%2 == 0 {
			l.Info(msg, map[string]string{"i": fmt.Sprint(i)})
		} else {
			l.Warn(msg, nil)
		}
	}
}

// sent returns the messages send sends.
func sent(prefix string, n int) []string {
	var msgs []string
	for i := range n {
		msgs = append(msgs, fmt.Sprintf("%s %d", prefix, i))
	}
	return msgs
}

// messages returns the message of each JSON line of the file at path.
func messages(t *testing.T, path string) []string {
	t.Helper()
	var msgs []string
	for _, line := range readLines(t, path) {
		r, err := parseRecord(line)
		if err != nil {
			t.Fatalf("%s: line %q: %v", path, line, err)
		}
		msgs = append(msgs, r.Msg)
	}
	return msgs
}

// TestReopenAfterRotation moves the file as a log rotator does, then calls
// Reopen: the messages sent before Reopen are in the moved file, those sent
// after it in a new file at the path, each once.
func TestReopenAfterRotation(t *testing.T) {
	tests := []struct {
		name string
		// move moves the file at path, and returns where it is now.
		move func(t *testing.T, path string) string
	}{
		{"file renamed", func(t *testing.T, path string) string {
			return rename(t, path, path+".1")
		}},
		{"folder renamed, so Reopen creates it again", func(t *testing.T, path string) string {
			dir := rename(t, filepath.Dir(path), filepath.Dir(path)+".old")
			return filepath.Join(dir, filepath.Base(path))
		}},
		{"not moved", func(t *testing.T, path string) string { return path }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "logs", "out.log")
			l := &logger{}
			if err := l.Configure(map[string]string{"output": path, "format": "json"}); err != nil {
				t.Fatal(err)
			}
			send(l, "before rename", 3)
			moved := tt.move(t, path)
			send(l, "before reopen", 2)
			if err := l.Reopen(); err != nil {
				t.Fatalf("Reopen = %v, want nil", err)
			}
			send(l, "after reopen", 4)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}

			old := slices.Concat(sent("before rename", 3), sent("before reopen", 2))
			current := sent("after reopen", 4)
			if moved == path {
				old, current = nil, slices.Concat(old, current)
			} else if got := messages(t, moved); !slices.Equal(got, old) {
				t.Errorf("the moved file holds %q\nwant %q", got, old)
			}
			if got := messages(t, path); !slices.Equal(got, current) {
				t.Errorf("the file at the path holds %q\nwant %q", got, current)
			}
			if n, last := l.Failures(); n != 0 {
				t.Errorf("Failures() = %d, %v; want 0", n, last)
			}
		})
	}
}

// rename renames from to to, and returns to.
func rename(t *testing.T, from, to string) string {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
	return to
}

// TestReopenDoesNothing checks Reopen where there is no file to reopen: it
// returns nil, and the messages go on to the same place.
func TestReopenDoesNothing(t *testing.T) {
	tests := []struct {
		name      string
		configure map[string]string // nil: do not call Configure
		stream    **os.File
		close     bool // call Close before Reopen
	}{
		{"stdout", map[string]string{"output": "stdout"}, &os.Stdout, false},
		{"stderr", map[string]string{"output": "stderr"}, &os.Stderr, false},
		{"before Configure", nil, &os.Stdout, false},
		{"after Close", map[string]string{"output": "stdout"}, &os.Stdout, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "stream")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			redirect(t, tt.stream, f)
			l := &logger{}
			if tt.configure != nil {
				if err := l.Configure(tt.configure); err != nil {
					t.Fatal(err)
				}
			}
			want := sent("before", 2)
			if tt.close {
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				want = nil
			}
			send(l, "before", 2)
			if err := l.Reopen(); err != nil {
				t.Errorf("Reopen = %v, want nil", err)
			}
			send(l, "after", 2)
			if !tt.close {
				want = append(want, sent("after", 2)...)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if got := messages(t, path); !slices.Equal(got, want) {
				t.Errorf("the stream holds %q\nwant %q", got, want)
			}
		})
	}
}

// TestReopenFails makes the path unusable (its folder is now a file): Reopen
// returns an error naming the file, and the plugin goes on writing the file
// it had.
func TestReopenFails(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	path := filepath.Join(dir, "out.log")
	l := &logger{}
	if err := l.Configure(map[string]string{"output": path, "format": "json"}); err != nil {
		t.Fatal(err)
	}
	send(l, "before", 2)
	moved := filepath.Join(rename(t, dir, dir+".old"), "out.log")
	if err := os.WriteFile(dir, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	err := l.Reopen()
	want := fmt.Sprintf("reopen %s: mkdir %s: not a directory", path, dir)
	if err == nil || err.Error() != want {
		t.Errorf("Reopen = %v\nwant %s", err, want)
	}
	send(l, "after", 2)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := messages(t, moved), slices.Concat(sent("before", 2), sent("after", 2)); !slices.Equal(got, want) {
		t.Errorf("the file holds %q\nwant %q", got, want)
	}
}

// TestReopenWhileWriting rotates the file 10 times while 4 goroutines write:
// every message is in one of the files, once and whole, and no write went to
// a closed file (it would fail, and be counted).
func TestReopenWhileWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	l := &logger{}
	if err := l.Configure(map[string]string{"output": path, "format": "json"}); err != nil {
		t.Fatal(err)
	}
	const goroutines, each, rotations = 4, 300, 10
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() { send(l, fmt.Sprint("g", g), each) })
	}
	wg.Go(func() {
		for i := range rotations {
			if err := os.Rename(path, fmt.Sprintf("%s.%d", path, i)); err != nil {
				t.Error(err)
				return
			}
			if err := l.Reopen(); err != nil {
				t.Errorf("Reopen = %v", err)
			}
		}
	})
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	var got []string
	for i := range rotations {
		got = append(got, linesOf(t, fmt.Sprintf("%s.%d", path, i))...)
	}
	got = append(got, linesOf(t, path)...)
	var want []string
	for g := range goroutines {
		want = append(want, sent(fmt.Sprint("g", g), each)...)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the files hold %d messages, want each of the %d sent once", len(got), len(want))
	}
	if n, last := l.Failures(); n != 0 {
		t.Errorf("Failures() = %d, %v; want 0", n, last)
	}
}

// linesOf returns the messages of the file at path, checking that each line
// is whole JSON.
func linesOf(t *testing.T, path string) []string {
	t.Helper()
	for _, line := range readLines(t, path) {
		if !json.Valid([]byte(line)) {
			t.Fatalf("%s: line %q is not whole JSON", path, strings.TrimSpace(line))
		}
	}
	return messages(t, path)
}
