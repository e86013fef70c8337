package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logplug/logplug/api"
)

// The plugin's value, as the host sees it, has every method of the contract
// that it means to have.
var (
	_ api.Logger           = &LoggingPlugin
	_ api.DebugLogger      = &LoggingPlugin
	_ api.ErrorLogger      = &LoggingPlugin
	_ api.Configurer       = &LoggingPlugin
	_ api.Flusher          = &LoggingPlugin
	_ api.Closer           = &LoggingPlugin
	_ api.Describer        = &LoggingPlugin
	_ api.Borrower         = &LoggingPlugin
	_ api.FailureCounter   = &LoggingPlugin
	_ api.Reopener         = &LoggingPlugin
	_ api.SettingKeyLister = &LoggingPlugin
)

// field is one key and value of a JSON line, in the order written.
type field struct{ key, value string }

func TestJSONOutput(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		send     func(l *logger)
		want     [][]field // one per line, without the time field
	}{
		{"info with sorted labels", nil,
			func(l *logger) { l.Info("hi", map[string]string{"b": "2", "a": "1"}) },
			[][]field{{{"level", "info"}, {"a", "1"}, {"b", "2"}, {"message", "hi"}}}},
		{"nil labels", nil,
			func(l *logger) { l.Warn("w", nil) },
			[][]field{{{"level", "warn"}, {"message", "w"}}}},
		{"no level", nil,
			func(l *logger) { l.Log("plain", map[string]string{}) },
			[][]field{{{"message", "plain"}}}},
		{"debug", nil,
			func(l *logger) { l.Debug("d", nil) },
			[][]field{{{"level", "debug"}, {"message", "d"}}}},
		{"error", nil,
			func(l *logger) { l.Error("e", nil) },
			[][]field{{{"level", "error"}, {"message", "e"}}}},
		{"escapes", nil,
			func(l *logger) { l.Info("q\"\\\n\t\x01é<", map[string]string{"k": "a\nb"}) },
			[][]field{{{"level", "info"}, {"k", "a\nb"}, {"message", "q\"\\\n\t\x01é<"}}}},
		{"reserved label names", nil,
			func(l *logger) {
				l.Info("m", map[string]string{"message": "x", "level": "y", "time": "z"})
			},
			[][]field{{{"level", "info"}, {"label.level", "y"}, {"label.message", "x"}, {"label.time", "z"}, {"message", "m"}}}},
		{"renamed label names", nil,
			func(l *logger) {
				l.Info("m", map[string]string{"level": "a", "label.level": "b", "label.label.level": "c", "label.": "d", "label": "e", "labels.x": "f", "msg": "g"})
			},
			[][]field{{{"level", "info"}, {"label", "e"}, {"label.label.", "d"}, {"label.label.label.level", "c"},
				{"label.label.level", "b"}, {"labels.x", "f"}, {"label.level", "a"}, {"msg", "g"}, {"message", "m"}}}},
		{"level warn", map[string]string{"level": "warn"},
			func(l *logger) {
				l.Debug("d", nil)
				l.Info("i", nil)
				l.Warn("w", nil)
				l.Error("e", nil)
				l.Log("l", nil)
			},
			[][]field{
				{{"level", "warn"}, {"message", "w"}},
				{{"level", "error"}, {"message", "e"}},
				{{"message", "l"}},
			}},
		{"level error", map[string]string{"level": "error", "format": "json"},
			func(l *logger) {
				l.Warn("w", nil)
				l.Error("e", nil)
				l.Log("l", nil)
			},
			[][]field{{{"level", "error"}, {"message", "e"}}, {{"message", "l"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.log")
			settings := map[string]string{"output": path}
			maps.Copy(settings, tt.settings)
			l := &logger{}
			if err := l.Configure(settings); err != nil {
				t.Fatal(err)
			}
			before := time.Now()
			tt.send(l)
			after := time.Now()
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			lines := readLines(t, path)
			if len(lines) != len(tt.want) {
				t.Fatalf("wrote %d lines, want %d:\n%s", len(lines), len(tt.want), strings.Join(lines, "\n"))
			}
			for i, line := range lines {
				got := decodeFields(t, line)
				got = checkTime(t, got, before, after)
				if fmt.Sprint(got) != fmt.Sprint(tt.want[i]) {
					t.Errorf("line %d: got fields %q\nwant %q", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestLabelsNotModified(t *testing.T) {
	l := &logger{}
	if err := l.Configure(map[string]string{"output": filepath.Join(t.TempDir(), "out.log")}); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"level": "x", "a": "1"}
	want := maps.Clone(labels)
	l.Info("m", labels)
	if !maps.Equal(labels, want) {
		t.Errorf("labels became %v, want %v", labels, want)
	}
}

func TestConsoleOutput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	l := &logger{}
	if err := l.Configure(map[string]string{"output": path, "format": "console"}); err != nil {
		t.Fatal(err)
	}
	l.Info("user logged in", map[string]string{"user": "ann", "ip": "10.0.0.1"})
	l.Log("plain", nil)
	l.Error("failed", map[string]string{"path": "/a b"})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, path)
	want := []string{
		`INF user logged in ip=10.0.0.1 user=ann`,
		`??? plain`,
		`ERR failed path="/a b"`,
	}
	if len(lines) != len(want) {
		t.Fatalf("wrote %q, want %d lines", lines, len(want))
	}
	for i, line := range lines {
		stamp, rest, _ := strings.Cut(line, " ")
		if _, err := time.Parse(time.RFC3339Nano, stamp); err != nil {
			t.Errorf("line %q: time: %v", line, err)
		}
		if rest != want[i] {
			t.Errorf("line %d: got %q after the time, want %q", i, rest, want[i])
		}
	}
}

func TestConfigureErrors(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		settings map[string]string
		want     string
	}{
		{map[string]string{"colour": "no"}, `setting colour="no": unknown key, want format, level or output`},
		{map[string]string{"format": "xml"}, `setting format="xml": want json or console`},
		{map[string]string{"format": "JSON"}, `setting format="JSON": want json or console`},
		{map[string]string{"level": "trace"}, `setting level="trace": want debug, info, warn or error`},
		{map[string]string{"level": ""}, `setting level="": want debug, info, warn or error`},
		{map[string]string{"output": ""}, `setting output="": want stdout, stderr or a file path`},
		{map[string]string{"output": notDir + "/x.log"},
			fmt.Sprintf(`setting output=%q: mkdir %s: not a directory`, notDir+"/x.log", notDir)},
		{map[string]string{"output": dir},
			fmt.Sprintf(`setting output=%q: open %s: is a directory`, dir, dir)},
		// Keys are checked in sorted order, so the first bad one is reported.
		{map[string]string{"level": "x", "format": "y"}, `setting format="y": want json or console`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			l := &logger{}
			err := l.Configure(tt.settings)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Configure(%v) = %v\nwant %s", tt.settings, err, tt.want)
			}
		})
	}
}

func TestConfigurePermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may write anywhere")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "x.log")
	l := &logger{}
	want := fmt.Sprintf(`setting output=%q: open %s: permission denied`, path, path)
	if err := l.Configure(map[string]string{"output": path}); err == nil || err.Error() != want {
		t.Errorf("Configure = %v, want %s", err, want)
	}
}

func TestOutputFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "out.log")
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("kept\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	l := &logger{}
	if err := l.Configure(map[string]string{"output": path}); err != nil {
		t.Fatal(err)
	}
	l.Info("appended", nil)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, path)
	if len(lines) != 2 || lines[0] != "kept" || !strings.Contains(lines[1], `"message":"appended"`) {
		t.Errorf("file holds %q, want the old line and the new one", lines)
	}

	// Missing folders are created.
	path = filepath.Join(t.TempDir(), "new", "dir", "out.log")
	l = &logger{}
	if err := l.Configure(map[string]string{"output": path}); err != nil {
		t.Fatal(err)
	}
	l.Warn("w", nil)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if lines := readLines(t, path); len(lines) != 1 {
		t.Errorf("file holds %q, want one line", lines)
	}
}

// TestStandardStreams checks the default output, before Configure, and
// output=stderr, by pointing os.Stdout and os.Stderr at files.
func TestStandardStreams(t *testing.T) {
	tests := []struct {
		name      string
		configure map[string]string // nil: do not call Configure
		stream    **os.File
	}{
		{"before Configure", nil, &os.Stdout},
		{"stdout", map[string]string{"output": "stdout"}, &os.Stdout},
		{"stderr", map[string]string{"output": "stderr"}, &os.Stderr},
		{"empty settings", map[string]string{}, &os.Stdout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "stream")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			saved := *tt.stream
			*tt.stream = f
			defer func() { *tt.stream = saved }()

			l := &logger{}
			if tt.configure != nil {
				if err := l.Configure(tt.configure); err != nil {
					t.Fatal(err)
				}
			}
			l.Info("hi", map[string]string{"a": "1"})
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			// Close leaves the standard streams open.
			if _, err := f.WriteString(""); err != nil {
				t.Errorf("stream closed: %v", err)
			}
			lines := readLines(t, path)
			if len(lines) != 1 {
				t.Fatalf("wrote %q, want one line", lines)
			}
			got := checkTime(t, decodeFields(t, lines[0]), time.Time{}, time.Now())
			want := []field{{"level", "info"}, {"a", "1"}, {"message", "hi"}}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("got fields %q, want %q", got, want)
			}
		})
	}
}

func TestConcurrentLinesStayWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	l := &logger{}
	if err := l.Configure(map[string]string{"output": path}); err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 16, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			labels := map[string]string{"g": fmt.Sprint(g)}
			for i := range each {
				switch i % 3 {
				case 0:
					l.Info(strings.Repeat("x", g*10), labels)
				case 1:
					l.Error(strings.Repeat("y", g*10), labels)
				default:
					if err := l.Flush(); err != nil {
						t.Error(err)
					}
					l.Log(strings.Repeat("z", g*10), labels)
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, path)
	if len(lines) != goroutines*each {
		t.Fatalf("got %d lines, want %d", len(lines), goroutines*each)
	}
	for _, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Fatalf("line %q is not whole JSON", line)
		}
	}
}

func TestCloseTwiceAndCallsAfterClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	l := &logger{}
	if err := l.Configure(map[string]string{"output": path}); err != nil {
		t.Fatal(err)
	}
	l.Info("before", nil)
	if err := l.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	l.Log("after", nil)
	l.Debug("after", nil)
	l.Info("after", nil)
	l.Warn("after", nil)
	l.Error("after", nil)
	if err := l.Flush(); err != nil {
		t.Errorf("Flush after Close: %v", err)
	}
	if err := l.Configure(map[string]string{}); err == nil {
		t.Error("Configure after Close succeeded")
	}
	if lines := readLines(t, path); len(lines) != 1 {
		t.Errorf("file holds %q, want only the line written before Close", lines)
	}

	// A logger closed before any message or Configure.
	var fresh logger
	if err := fresh.Close(); err != nil {
		t.Errorf("Close before use: %v", err)
	}
	fresh.Info("ignored", nil)
}

func TestDescribe(t *testing.T) {
	if n, v := LoggingPlugin.Describe(); n != "zerolog" || v != "v0.1.0" {
		t.Errorf("Describe() = %q, %q", n, v)
	}
}

func BenchmarkInfo(b *testing.B) {
	l := &logger{}
	if err := l.Configure(map[string]string{"output": os.DevNull}); err != nil {
		b.Fatal(err)
	}
	labels := map[string]string{"method": "GET", "path": "/api/v1/items", "status": "200"}
	b.ReportAllocs()
	for b.Loop() {
		l.Info("request served", labels)
	}
}

// readLines returns the lines of the file at path.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		t.Errorf("file does not end with a newline: %q", b)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// decodeFields decodes a JSON object whose values are all strings, keeping
// the order of its keys.
func decodeFields(t *testing.T, line string) []field {
	t.Helper()
	fields, err := parseJSONFields(line)
	if err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	return fields
}

// timeFormat is the time layout the plugin must write: fixed-width RFC 3339
// with nanoseconds.
var timeFormat = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d)$`)

// checkTime checks that fields has a "time" field, second after the level
// (or first when there is none), between before and after, and returns the
// fields without it.
func checkTime(t *testing.T, fields []field, before, after time.Time) []field {
	t.Helper()
	i := 0
	if len(fields) > 0 && fields[0].key == "level" {
		i = 1
	}
	if i >= len(fields) || fields[i].key != "time" {
		t.Errorf("fields %q: no time field at position %d", fields, i)
		return fields
	}
	stamp := fields[i].value
	if !timeFormat.MatchString(stamp) {
		t.Errorf("time %q is not fixed-width RFC 3339 with nanoseconds", stamp)
	}
	tm, err := time.Parse(time.RFC3339Nano, stamp)
	if err != nil {
		t.Errorf("time: %v", err)
	} else if tm.Before(before) || tm.After(after) {
		t.Errorf("time %v is not between %v and %v", tm, before, after)
	}
	return append(fields[:i:i], fields[i+1:]...)
}

// TestOutputThatCanNotSync checks that an output with nothing to make
// durable, such as /dev/null, flushes and closes without an error.
func TestOutputThatCanNotSync(t *testing.T) {
	l := &logger{}
	if err := l.Configure(map[string]string{"output": os.DevNull}); err != nil {
		t.Fatal(err)
	}
	l.Info("into the void", map[string]string{"k": "v"})
	if err := l.Flush(); err != nil {
		t.Errorf("Flush = %v, want nil", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close = %v, want nil", err)
	}
}
