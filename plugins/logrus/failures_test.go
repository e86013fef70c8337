package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// sendEveryLevel sends one message to each method.
func sendEveryLevel(l *logger) {
	labels := map[string]string{"k": "v"}
	l.Debug("d", labels)
	l.Info("i", labels)
	l.Warn("w", labels)
	l.Error("e", labels)
	l.Log("l", labels)
}

// TestFailures writes to outputs whose writes the kernel refuses: a pipe
// whose reading end is closed, as standard output or standard error, and
// /dev/full. Every message written is counted, none below the level (Log
// writes at Info level whatever the level is).
func TestFailures(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		stream   **os.File // redirected to a closed pipe; nil for none
		want     uint64
		errno    syscall.Errno
		wantErr  string
	}{
		{"stdout is a closed pipe", map[string]string{"output": "stdout"}, &os.Stdout,
			5, syscall.EPIPE, "write |1: broken pipe"},
		{"stderr is a closed pipe", map[string]string{"output": "stderr"}, &os.Stderr,
			5, syscall.EPIPE, "write |1: broken pipe"},
		{"/dev/full", map[string]string{"output": "/dev/full"}, nil,
			5, syscall.ENOSPC, "write /dev/full: no space left on device"},
		{"/dev/full, JSON format", map[string]string{"output": "/dev/full", "format": "json"}, nil,
			5, syscall.ENOSPC, "write /dev/full: no space left on device"},
		{"/dev/full, messages below the level are not counted", map[string]string{"output": "/dev/full", "level": "warn"}, nil,
			3, syscall.ENOSPC, "write /dev/full: no space left on device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.stream != nil {
				redirect(t, tt.stream, closedPipe(t))
			}
			l := &logger{}
			if err := l.Configure(tt.settings); err != nil {
				t.Fatal(err)
			}
			sendEveryLevel(l)
			if err := l.Flush(); err != nil {
				t.Errorf("Flush = %v, want nil: Failures reports failed writes", err)
			}
			sendEveryLevel(l)
			if err := l.Close(); err != nil {
				t.Errorf("Close = %v, want nil: Failures reports failed writes", err)
			}
			n, last := l.Failures()
			if n != 2*tt.want || !errors.Is(last, tt.errno) || last.Error() != tt.wantErr {
				t.Errorf("Failures() = %d, %v; want %d, %q", n, last, 2*tt.want, tt.wantErr)
			}
		})
	}
}

// redirect points *stream (os.Stdout or os.Stderr) at f until the test ends.
func redirect(t *testing.T, stream **os.File, f *os.File) {
	saved := *stream
	*stream = f
	t.Cleanup(func() { *stream = saved })
}

// closedPipe returns the writing end of a pipe whose reading end is closed.
// A write to it fails with EPIPE: a test binary dies of SIGPIPE only for
// writes to the descriptors 1 and 2.
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

// TestShortWriteEndsTheLine cuts a write short with a real limit on the
// size of files (RLIMIT_FSIZE): the cut message and the next, whose write
// fails whole, are counted; once the limit is lifted, the next message
// starts with a newline that ends the cut line, and is whole.
func TestShortWriteEndsTheLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	l := &logger{}
	if err := l.Configure(map[string]string{"output": path, "format": "json"}); err != nil {
		t.Fatal(err)
	}
	l.Info("m0", nil)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	const cut = 10
	lift := limitFileSize(t, uint64(info.Size())+cut)
	l.Info("m1", nil) // cut after 10 bytes
	l.Info("m2", nil) // refused whole
	lift()
	l.Info("m3", nil)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	n, last := l.Failures()
	if want := "write " + path + ": file too large"; n != 2 || !errors.Is(last, syscall.EFBIG) || last.Error() != want {
		t.Errorf("Failures() = %d, %v; want 2, %q", n, last, want)
	}
	lines := readLines(t, path)
	if len(lines) != 3 || len(lines[1]) != cut || json.Valid([]byte(lines[1])) {
		t.Fatalf("file holds %q, want a whole line, one cut after %d bytes, and a whole line", lines, cut)
	}
	for i, want := range map[int]string{0: "m0", 2: "m3"} {
		if r, err := parseRecord(lines[i]); err != nil || r.Msg != want {
			t.Errorf("line %d %q: record %v, %v; want the message %q", i, lines[i], r, err, want)
		}
	}
}

// limitFileSize sets the process's soft limit on the size of the files it
// writes to n bytes, and returns a function that restores the limit, which
// is also called when the test ends. Go ignores the SIGXFSZ that a write
// past the limit raises, and the write fails with EFBIG.
func limitFileSize(t *testing.T, n uint64) (lift func()) {
	var saved syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &saved); err != nil {
		t.Skipf("no file size limit: %v", err)
	}
	limit := saved
	limit.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
		t.Skipf("can't limit the file size: %v", err)
	}
	lift = func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &saved); err != nil {
			t.Fatalf("restoring the file size limit: %v", err)
		}
	}
	t.Cleanup(lift)
	return lift
}

// TestSettingKeys checks that SettingKeys lists exactly the keys Configure
// accepts, and returns a list of its own on each call.
func TestSettingKeys(t *testing.T) {
	valid := map[string]string{"format": "json", "level": "info", "output": "stdout"}
	l := &logger{}
	keys := l.SettingKeys()
	if got, want := slices.Sorted(slices.Values(keys)), slices.Sorted(maps.Keys(valid)); !slices.Equal(got, want) {
		t.Errorf("SettingKeys() = %q, want %q", got, want)
	}
	for _, k := range keys {
		if _, err := parseSettings(map[string]string{k: valid[k]}); err != nil {
			t.Errorf("SettingKeys lists %q, which Configure refuses: %v", k, err)
		}
	}
	if _, err := parseSettings(map[string]string{"colour": "no"}); err == nil {
		t.Error(`Configure accepts "colour", which SettingKeys does not list`)
	}
	keys[0] = "changed"
	if again := l.SettingKeys(); slices.Contains(again, "changed") {
		t.Errorf("SettingKeys() = %q after the caller changed an earlier list", again)
	}
}

// TestFailuresCountEveryOutput checks that the count goes on over a second
// Configure, which replaces the output: it never goes down.
func TestFailuresCountEveryOutput(t *testing.T) {
	l := &logger{}
	for i, settings := range []map[string]string{
		{"output": "/dev/full"},
		{"output": filepath.Join(t.TempDir(), "out.log")},
		{"output": "/dev/full"},
	} {
		if err := l.Configure(settings); err != nil {
			t.Fatal(err)
		}
		l.Info(fmt.Sprint("m", i), nil)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n, last := l.Failures(); n != 2 || !errors.Is(last, syscall.ENOSPC) {
		t.Errorf("Failures() = %d, %v; want 2 and ENOSPC", n, last)
	}
}
