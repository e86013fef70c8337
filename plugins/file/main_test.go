package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logplug/logplug/api"
)

// The plugin's value, as the host sees it, has every method of the contract
// that it means to have.
var (
	_ api.Logger      = &LoggingPlugin
	_ api.DebugLogger = &LoggingPlugin
	_ api.ErrorLogger = &LoggingPlugin
	_ api.Configurer  = &LoggingPlugin
	_ api.Flusher     = &LoggingPlugin
	_ api.Closer      = &LoggingPlugin
	_ api.Describer   = &LoggingPlugin
	_ api.Borrower    = &LoggingPlugin

	_ api.FailureCounter   = &LoggingPlugin
	_ api.Reopener         = &LoggingPlugin
	_ api.SettingKeyLister = &LoggingPlugin
)

// field is one key and value of a line, in the order written. Lines of both
// formats decode to the fields time, level (lower case), msg, then labels.
type field struct{ key, value string }

func TestOutput(t *testing.T) {
	tests := []struct {
		name string
		send func(l *logger)
		// want has one entry per line, without the time field; wantText, if
		// set, replaces it for the text format.
		want, wantText [][]field
	}{
		{name: "info with sorted labels",
			send: func(l *logger) { l.Info("hi", map[string]string{"b": "2", "a": "1"}) },
			want: [][]field{{{"level", "info"}, {"msg", "hi"}, {"a", "1"}, {"b", "2"}}}},
		{name: "nil labels",
			send: func(l *logger) { l.Warn("w", nil) },
			want: [][]field{{{"level", "warn"}, {"msg", "w"}}}},
		{name: "every level",
			send: func(l *logger) {
				l.Log("l", map[string]string{})
				l.Debug("d", nil)
				l.Info("i", nil)
				l.Warn("w", nil)
				l.Error("e", nil)
			},
			want: [][]field{
				{{"level", "log"}, {"msg", "l"}},
				{{"level", "debug"}, {"msg", "d"}},
				{{"level", "info"}, {"msg", "i"}},
				{{"level", "warn"}, {"msg", "w"}},
				{{"level", "error"}, {"msg", "e"}},
			}},
		{name: "spaces and quoting",
			send: func(l *logger) {
				l.Info("user logged in", map[string]string{"sp": "a b", "empty": "", "eq": "x=y", "q": `say "hi"`})
				l.Info("", map[string]string{"key with space": "v", "k=": "v"})
				l.Info(" padded  msg ", nil)
				l.Info("a=b looks like a label", nil)
			},
			want: [][]field{
				{{"level", "info"}, {"msg", "user logged in"}, {"empty", ""}, {"eq", "x=y"}, {"q", `say "hi"`}, {"sp", "a b"}},
				{{"level", "info"}, {"msg", ""}, {"k=", "v"}, {"key with space", "v"}},
				{{"level", "info"}, {"msg", " padded  msg "}},
				{{"level", "info"}, {"msg", "a=b looks like a label"}},
			}},
		{name: "escapes",
			send: func(l *logger) {
				l.Info("q\"\\\n\t\x01é<\u2028", map[string]string{"k": "a\nb", "日本": "語"})
			},
			want: [][]field{{{"level", "info"}, {"msg", "q\"\\\n\t\x01é<\u2028"}, {"k", "a\nb"}, {"日本", "語"}}}},
		{name: "reserved label names",
			send: func(l *logger) {
				l.Info("m", map[string]string{"msg": "x", "level": "y", "time": "z"})
			},
			want: [][]field{{{"level", "info"}, {"msg", "m"}, {"label.level", "y"}, {"label.msg", "x"}, {"label.time", "z"}}},
			// The text format's fixed fields have no keys to clash with.
			wantText: [][]field{{{"level", "info"}, {"msg", "m"}, {"level", "y"}, {"msg", "x"}, {"time", "z"}}}},
		{name: "renamed label names",
			send: func(l *logger) {
				l.Info("m", map[string]string{"level": "a", "label.level": "b", "label.label.level": "c", "label.": "d", "label": "e", "labels.x": "f", "label.\"q\"": "g"})
			},
			want: [][]field{{{"level", "info"}, {"msg", "m"}, {"label", "e"}, {"label.label.", "d"}, {"label.label.\"q\"", "g"},
				{"label.label.label.level", "c"}, {"label.label.level", "b"}, {"labels.x", "f"}, {"label.level", "a"}}},
			wantText: [][]field{{{"level", "info"}, {"msg", "m"}, {"label", "e"}, {"label.", "d"}, {"label.\"q\"", "g"},
				{"label.label.level", "c"}, {"label.level", "b"}, {"labels.x", "f"}, {"level", "a"}}}},
	}
	for _, format := range []string{"json", "text"} {
		for _, tt := range tests {
			t.Run(format+"/"+tt.name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "out.log")
				l := &logger{}
				if err := l.Configure(map[string]string{"path": path, "format": format}); err != nil {
					t.Fatal(err)
				}
				before := time.Now()
				tt.send(l)
				after := time.Now()
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				want := tt.want
				if format == "text" && tt.wantText != nil {
					want = tt.wantText
				}
				lines := readLines(t, path)
				if len(lines) != len(want) {
					t.Fatalf("wrote %d lines, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
				}
				for i, line := range lines {
					got := checkTime(t, decode(t, format, line), before, after)
					if fmt.Sprint(got) != fmt.Sprint(want[i]) {
						t.Errorf("line %d: %s\ngot fields %q\nwant       %q", i, line, got, want[i])
					}
				}
			})
		}
	}
}

func TestExactLines(t *testing.T) {
	stamp := time.Date(2025, 11, 25, 16, 59, 0, 120000000, time.UTC)
	tests := []struct {
		format string
		lv     level
		msg    string
		labels map[string]string
		want   string
	}{
		{"json", levelInfo, "user logged in", map[string]string{"user": "ann", "ip": "10.0.0.1"},
			`{"time":"2025-11-25T16:59:00.120000000Z","level":"info","msg":"user logged in","ip":"10.0.0.1","user":"ann"}`},
		{"json", levelLog, "bad \xff", nil,
			`{"time":"2025-11-25T16:59:00.120000000Z","level":"log","msg":"bad \ufffd"}`},
		{"text", levelInfo, "user logged in", map[string]string{"user": "ann", "ip": "10.0.0.1"},
			`2025-11-25T16:59:00.120000000Z INFO user logged in ip=10.0.0.1 user=ann`},
		{"text", levelError, "failed", map[string]string{"path": "/a b", "empty": ""},
			`2025-11-25T16:59:00.120000000Z ERROR failed empty="" path="/a b"`},
		{"text", levelLog, "two\nlines", nil,
			`2025-11-25T16:59:00.120000000Z LOG "two\nlines"`},
		{"text", levelDebug, "bad \xff", map[string]string{"k": "\xfe"},
			`2025-11-25T16:59:00.120000000Z DEBUG "bad \xff" k="\xfe"`},
		{"text", levelWarn, "", nil,
			`2025-11-25T16:59:00.120000000Z WARN ""`},
	}
	for _, tt := range tests {
		var e encoder
		var got []byte
		if tt.format == "json" {
			got = e.json(stamp, tt.lv, tt.msg, tt.labels)
		} else {
			got = e.text(stamp, tt.lv, tt.msg, tt.labels)
		}
		if string(got) != tt.want+"\n" {
			t.Errorf("%s %q:\ngot  %q\nwant %q", tt.format, tt.msg, got, tt.want+"\n")
		}
	}
}

func TestLabelsNotModified(t *testing.T) {
	l := &logger{}
	if err := l.Configure(map[string]string{"path": filepath.Join(t.TempDir(), "out.log")}); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	labels := map[string]string{"level": "x", "a": "1"}
	want := maps.Clone(labels)
	l.Info("m", labels)
	if !maps.Equal(labels, want) {
		t.Errorf("labels became %v, want %v", labels, want)
	}
}

func TestConfigureErrors(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ok.log")
	tests := []struct {
		settings map[string]string
		want     string
	}{
		{map[string]string{}, `setting path: missing, want a file path`},
		{map[string]string{"format": "text"}, `setting path: missing, want a file path`},
		{map[string]string{"path": ""}, `setting path="": want a file path`},
		{map[string]string{"path": path, "colour": "no"},
			`setting colour="no": unknown key, want format, max_backups, max_size_mb, mode or path`},
		{map[string]string{"path": path, "format": "xml"}, `setting format="xml": want json or text`},
		{map[string]string{"path": path, "mode": "0999"}, `setting mode="0999": want an octal file mode such as 0640`},
		{map[string]string{"path": path, "mode": "1777"}, `setting mode="1777": want an octal file mode such as 0640`},
		{map[string]string{"path": path, "mode": "rw-r-----"}, `setting mode="rw-r-----": want an octal file mode such as 0640`},
		{map[string]string{"path": path, "mode": ""}, `setting mode="": want an octal file mode such as 0640`},
		{map[string]string{"path": path, "max_size_mb": "-1"},
			`setting max_size_mb="-1": want a whole number of megabytes, 0 for no rotation`},
		{map[string]string{"path": path, "max_size_mb": "1.5"},
			`setting max_size_mb="1.5": want a whole number of megabytes, 0 for no rotation`},
		{map[string]string{"path": path, "max_backups": "many"},
			`setting max_backups="many": want a whole number, 0 to keep every backup`},
		{map[string]string{"path": path, "max_backups": "3"}, `setting max_backups="3": needs max_size_mb above 0`},
		{map[string]string{"path": notDir + "/x.log"},
			fmt.Sprintf(`setting path=%q: mkdir %s: not a directory`, notDir+"/x.log", notDir)},
		{map[string]string{"path": dir},
			fmt.Sprintf(`setting path=%q: open %s: is a directory`, dir, dir)},
		{map[string]string{"path": dir, "max_size_mb": "1"},
			fmt.Sprintf(`setting path=%q: open %s: is a directory`, dir, dir)},
		// Keys are checked in sorted order, so the first bad one is reported.
		{map[string]string{"path": path, "mode": "x", "format": "y"}, `setting format="y": want json or text`},
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
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a failed Configure created %s", path)
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
	want := fmt.Sprintf(`setting path=%q: open %s: permission denied`, path, path)
	if err := l.Configure(map[string]string{"path": path}); err == nil || err.Error() != want {
		t.Errorf("Configure = %v, want %s", err, want)
	}
}

func TestModesAndFolders(t *testing.T) {
	umask := syscall.Umask(0)
	syscall.Umask(umask)
	tests := []struct {
		settings map[string]string
		want     os.FileMode
	}{
		{map[string]string{}, 0o640},
		{map[string]string{"mode": "0600"}, 0o600},
		{map[string]string{"mode": "644"}, 0o644},
		{map[string]string{"mode": "0600", "max_size_mb": "1"}, 0o600},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.settings), func(t *testing.T) {
			top := filepath.Join(t.TempDir(), "new")
			path := filepath.Join(top, "dir", "out.log")
			settings := map[string]string{"path": path}
			maps.Copy(settings, tt.settings)
			l := &logger{}
			if err := l.Configure(settings); err != nil {
				t.Fatal(err)
			}
			l.Info("m", nil)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			checkMode(t, path, tt.want&^os.FileMode(umask))
			checkMode(t, top, os.ModeDir|0o750&^os.FileMode(umask))
			checkMode(t, filepath.Dir(path), os.ModeDir|0o750&^os.FileMode(umask))
		})
	}
}

func TestAppendsToExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	if err := os.WriteFile(path, []byte("kept\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, settings := range []map[string]string{{"path": path}, {"path": path, "max_size_mb": "1"}} {
		l := &logger{}
		if err := l.Configure(settings); err != nil {
			t.Fatal(err)
		}
		l.Info("appended", nil)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	lines := readLines(t, path)
	if len(lines) != 3 || lines[0] != "kept" {
		t.Errorf("file holds %q, want the old line and two new ones", lines)
	}
	// The file keeps its own mode.
	checkMode(t, path, 0o600)
}

// TestFailuresBeforeConfigure checks that messages that came before
// Configure are counted as failed, and that Flush and Close do not report
// them again.
func TestFailuresBeforeConfigure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	l := &logger{}
	l.Info("dropped", nil)
	l.Log("dropped", nil)
	l.Error("dropped", nil)
	if err := l.Configure(map[string]string{"path": path}); err != nil {
		t.Fatal(err)
	}
	l.Info("kept", nil)
	if err := l.Flush(); err != nil {
		t.Errorf("Flush = %v, want nil: the drops are counted by Failures", err)
	}
	checkFailures(t, l, 3, "a message came before Configure, when there was no file to write it to")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	checkFailures(t, l, 3, "a message came before Configure, when there was no file to write it to")
	if lines := readLines(t, path); len(lines) != 1 {
		t.Errorf("file holds %q, want one line", lines)
	}

	// A plugin never configured.
	l = &logger{}
	l.Warn("dropped", nil)
	if err := l.Close(); err != nil {
		t.Errorf("Close = %v, want nil", err)
	}
	checkFailures(t, l, 1, "a message came before Configure, when there was no file to write it to")
}

// TestFailuresCountMessages checks that every failed write counts, that
// the count never goes down, and that Flush does not report them.
func TestFailuresCountMessages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	l := &logger{}
	if err := l.Configure(map[string]string{"path": path}); err != nil {
		t.Fatal(err)
	}
	checkFailures(t, l, 0, "")
	readOnly, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l.out.w.Close()
	l.out.w = readOnly
	want := fmt.Sprintf("write %s: bad file descriptor", path)
	l.Info("lost", nil)
	checkFailures(t, l, 1, want)
	l.Info("lost too", nil)
	if err := l.Flush(); err != nil {
		t.Errorf("Flush = %v, want nil: failures are counted by Failures", err)
	}
	checkFailures(t, l, 2, want)
	if err := l.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	checkFailures(t, l, 2, want)
}

func TestLineLongerThanMaxSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.log")
	l := &logger{}
	if err := l.Configure(map[string]string{"path": path, "max_size_mb": "1"}); err != nil {
		t.Fatal(err)
	}
	l.Info(strings.Repeat("x", 1<<20), nil)
	l.Info("fits", nil)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	n, last := l.Failures()
	want := regexp.MustCompile(`^write ` + regexp.QuoteMeta(path) + `: the line is 10486\d\d bytes, more than max_size_mb allows \(1048576\)$`)
	if n != 1 || last == nil || !want.MatchString(last.Error()) {
		t.Errorf("Failures() = %d, %v; want 1, %s", n, last, want)
	}
	if lines := readLines(t, path); len(lines) != 1 {
		t.Errorf("file holds %d lines, want one", len(lines))
	}
}

func TestCloseTwiceAndCallsAfterClose(t *testing.T) {
	for _, settings := range []map[string]string{{}, {"max_size_mb": "1"}} {
		path := filepath.Join(t.TempDir(), "out.log")
		settings["path"] = path
		l := &logger{}
		if err := l.Configure(settings); err != nil {
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
		if err := l.Configure(settings); err == nil {
			t.Error("Configure after Close succeeded")
		}
		if lines := readLines(t, path); len(lines) != 1 {
			t.Errorf("%v: file holds %q, want only the line written before Close", settings, lines)
		}
	}

	// A logger closed before any message or Configure.
	var fresh logger
	if err := fresh.Close(); err != nil {
		t.Errorf("Close before use: %v", err)
	}
	fresh.Info("ignored", nil)
	if err := fresh.Flush(); err != nil {
		t.Errorf("Flush after Close: %v", err)
	}
}

func TestConcurrentMethods(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.log")
			l := &logger{}
			if err := l.Configure(map[string]string{"path": path, "format": format}); err != nil {
				t.Fatal(err)
			}
			const goroutines, each = 16, 300
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					labels := map[string]string{"g": strconv.Itoa(g), "text": "a b"}
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
							if n, err := l.Failures(); n != 0 || err != nil {
								t.Errorf("Failures() = %d, %v", n, err)
							}
							if g%4 == 0 {
								if err := l.Reopen(); err != nil {
									t.Error(err)
								}
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
				decode(t, format, line)
			}
		})
	}
}

// TestGoroutinesKeepLinesWhole has 8 goroutines append 10,000 lines each.
func TestGoroutinesKeepLinesWhole(t *testing.T) {
	const writers, each = 8, 10_000
	path := filepath.Join(t.TempDir(), "out.log")
	l := &logger{}
	if err := l.Configure(map[string]string{"path": path}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() { writeSequence(l, strconv.Itoa(w), each, 100) })
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	checkSequences(t, readLines(t, path), writers, each)
}

// childEnv, when set, makes TestProcessesKeepLinesWhole a child that appends
// lines: its value is "WRITER PATH GO", where GO is a file to wait for before
// writing.
const childEnv = "LOGPLUG_FILE_TEST_CHILD"

// TestProcessesKeepLinesWhole runs the test binary twice at once, each
// process appending 10,000 lines to the same file.
func TestProcessesKeepLinesWhole(t *testing.T) {
	if spec := os.Getenv(childEnv); spec != "" {
		appendAsChild(t, spec)
		return
	}
	const writers, each = 2, 10_000
	dir := t.TempDir()
	path, goFile := filepath.Join(dir, "out.log"), filepath.Join(dir, "go")
	cmds := make([]*exec.Cmd, writers)
	outs := make([]bytes.Buffer, writers)
	for w := range writers {
		cmd := exec.Command(os.Args[0], "-test.run=^TestProcessesKeepLinesWhole$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d %s %s", childEnv, w, path, goFile))
		cmd.Stdout, cmd.Stderr = &outs[w], &outs[w]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[w] = cmd
	}
	// Both processes are running: let them write at the same time.
	if err := os.WriteFile(goFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for w, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer %d: %v\n%s", w, err, outs[w].Bytes())
		}
	}
	lines := readLines(t, path)
	checkSequences(t, lines, writers, each)
	// The writer label is last: count the changes of writer from line to line.
	turns := 0
	for i := 1; i < len(lines); i++ {
		if lines[i][len(lines[i])-4:] != lines[i-1][len(lines[i-1])-4:] {
			turns++
		}
	}
	t.Logf("the writers took turns %d times", turns)
}

// appendAsChild is the child process of TestProcessesKeepLinesWhole.
func appendAsChild(t *testing.T, spec string) {
	var writer, path, goFile string
	if _, err := fmt.Sscan(spec, &writer, &path, &goFile); err != nil {
		t.Fatalf("%s=%q: %v", childEnv, spec, err)
	}
	l := &logger{}
	if err := l.Configure(map[string]string{"path": path}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(goFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no go file")
		}
	}
	writeSequence(l, writer, 10_000, 100)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRotation(t *testing.T) {
	const (
		maxSize = 1 << 20 // max_size_mb=1
		lines   = 13_000  // about 280 bytes each: 3.5 MB, three rotations
		pad     = 200
	)
	tests := []struct {
		maxBackups  int
		wantBackups int
		// step is how far the clock moves at each line: with 1ms, the
		// plugin checks its path every 1,000 lines; with 0, only once, at
		// the end, after every rotation.
		step time.Duration
	}{
		{maxBackups: 5, wantBackups: 3, step: time.Millisecond}, // every line kept
		{maxBackups: 2, wantBackups: 2, step: time.Millisecond},
		{maxBackups: 1, wantBackups: 1, step: time.Millisecond},
		{maxBackups: 1, wantBackups: 1, step: 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("max_backups=%d/step=%v", tt.maxBackups, tt.step), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.log")
			clock := &fakeClock{time.Date(2026, 12, 3, 17, 40, 0, 0, time.UTC)}
			l := &logger{now: func() time.Time { clock.advance(tt.step); return clock.now() }}
			err := l.Configure(map[string]string{
				"path": path, "max_size_mb": "1", "max_backups": strconv.Itoa(tt.maxBackups), "mode": "0600",
			})
			if err != nil {
				t.Fatal(err)
			}
			writeSequence(l, "0", lines, pad)
			clock.advance(time.Second)
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			// The plugin's own rotations, and lumberjack's removal of
			// old backups, are not taken for a removed file.
			checkFailures(t, l, 0, "")

			// lumberjack removes old backups in a goroutine of its own.
			var backups []string
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				backups, err = filepath.Glob(filepath.Join(dir, "out-*.log"))
				if err != nil {
					t.Fatal(err)
				}
				if len(backups) <= tt.wantBackups || time.Now().After(deadline) {
					break
				}
			}
			if len(backups) != tt.wantBackups {
				t.Fatalf("%d backups %q, want %d", len(backups), backups, tt.wantBackups)
			}
			// lumberjack took the lock file for no backup of its own.
			if _, err := os.Stat(path + ".lock"); err != nil {
				t.Errorf("the lock file: %v", err)
			}

			// Backup names hold the time of rotation: sorted, they are in
			// the order written.
			slices.Sort(backups)
			var all []string
			for _, name := range append(backups, path) {
				info, err := os.Stat(name)
				if err != nil {
					t.Fatal(err)
				}
				if info.Size() > maxSize {
					t.Errorf("%s: %d bytes, more than max_size_mb", name, info.Size())
				}
				if info.Mode().Perm() != 0o600 {
					t.Errorf("%s: mode %v, want 0600", name, info.Mode().Perm())
				}
				all = append(all, readLines(t, name)...)
			}
			// Lines are lost only with the backups lumberjack removed: what
			// is left is the end of the sequence, whole and in order.
			first := lines - len(all)
			if tt.maxBackups >= 3 && first != 0 {
				t.Errorf("%d lines lost, want none", first)
			}
			for i, line := range all {
				var m map[string]string
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("line %d is not whole: %q: %v", i, line, err)
				}
				if got, want := m["seq"], strconv.Itoa(first+i); got != want {
					t.Fatalf("line %d: seq %s, want %s", i, got, want)
				}
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	if n, v := LoggingPlugin.Describe(); n != "file" || v != "v0.1.0" {
		t.Errorf("Describe() = %q, %q", n, v)
	}
}

func BenchmarkInfo(b *testing.B) {
	for _, format := range []string{"json", "text"} {
		b.Run(format, func(b *testing.B) {
			l := &logger{}
			if err := l.Configure(map[string]string{"path": os.DevNull, "format": format}); err != nil {
				b.Fatal(err)
			}
			labels := map[string]string{"method": "GET", "path": "/api/v1/items", "status": "200"}
			b.ReportAllocs()
			for b.Loop() {
				l.Info("request served", labels)
			}
		})
	}
}

// BenchmarkInfoRenamedLabels writes labels that the JSON format renames: it
// allocates no more than BenchmarkInfo.
func BenchmarkInfoRenamedLabels(b *testing.B) {
	l := &logger{}
	if err := l.Configure(map[string]string{"path": os.DevNull, "format": "json"}); err != nil {
		b.Fatal(err)
	}
	labels := map[string]string{"level": "a", "msg": "b", "label.level": "c", "status": "200"}
	b.ReportAllocs()
	for b.Loop() {
		l.Info("request served", labels)
	}
}

// writeSequence sends n messages with labels "pad" (pad bytes), "seq" (0
// to n-1) and "writer", which is the last field of a JSON line.
func writeSequence(l *logger, writer string, n, pad int) {
	labels := map[string]string{"writer": writer, "pad": strings.Repeat("p", pad)}
	for i := range n {
		labels["seq"] = strconv.Itoa(i)
		l.Info("line", labels)
	}
}

// checkSequences checks that lines are whole JSON lines of writeSequence,
// each writer's n lines exactly once and in order.
func checkSequences(t *testing.T, lines []string, writers, n int) {
	t.Helper()
	if len(lines) != writers*n {
		t.Fatalf("got %d lines, want %d", len(lines), writers*n)
	}
	next := make(map[string]int)
	for i, line := range lines {
		var m map[string]string
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d is not whole: %q: %v", i, line, err)
		}
		w := m["writer"]
		if m["seq"] != strconv.Itoa(next[w]) {
			t.Fatalf("line %d: writer %q seq %s, want %d", i, w, m["seq"], next[w])
		}
		next[w]++
	}
	if len(next) != writers {
		t.Errorf("lines from %d writers, want %d", len(next), writers)
	}
}

// checkMode checks the mode of the file at path.
func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode() != want {
		t.Errorf("%s: mode %v, want %v", path, info.Mode(), want)
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
		t.Errorf("%s does not end with a newline", path)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// decode returns the fields of a line in the given format, in the order
// written.
func decode(t *testing.T, format, line string) []field {
	t.Helper()
	if format == "json" {
		return decodeJSON(t, line)
	}
	return decodeText(t, line)
}

// decodeJSON decodes a JSON object whose values are all strings, keeping
// the order of its keys.
func decodeJSON(t *testing.T, line string) []field {
	t.Helper()
	fields, err := parseJSONFields(line)
	if err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	return fields
}

// decodeText splits a line of the text format, "TIME LEVEL msg k=v k=v",
// into fields.
func decodeText(t *testing.T, line string) []field {
	t.Helper()
	fields, err := parseTextFields(line)
	if err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	return fields
}

// timeFormat is the time layout the plugin must write: fixed-width RFC 3339
// with nanoseconds.
var timeFormat = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d)$`)

// checkTime checks that fields starts with a "time" field between before
// and after, and returns the fields without it.
func checkTime(t *testing.T, fields []field, before, after time.Time) []field {
	t.Helper()
	if len(fields) == 0 || fields[0].key != "time" {
		t.Errorf("fields %q: no time field first", fields)
		return fields
	}
	stamp := fields[0].value
	if !timeFormat.MatchString(stamp) {
		t.Errorf("time %q is not fixed-width RFC 3339 with nanoseconds", stamp)
	}
	tm, err := time.Parse(time.RFC3339Nano, stamp)
	if err != nil {
		t.Errorf("time: %v", err)
	} else if tm.Before(before) || tm.After(after) {
		t.Errorf("time %v is not between %v and %v", tm, before, after)
	}
	return fields[1:]
}

// TestPathThatCanNotSync checks that a file with nothing to make durable,
// such as /dev/null, flushes and closes without an error.
func TestPathThatCanNotSync(t *testing.T) {
	l := &logger{}
	if err := l.Configure(map[string]string{"path": os.DevNull}); err != nil {
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

// checkFailures checks that l.Failures reports n failures, the latest with
// the error want ("" for none).
func checkFailures(t *testing.T, l *logger, n uint64, want string) {
	t.Helper()
	gotN, last := l.Failures()
	got := ""
	if last != nil {
		got = last.Error()
	}
	if gotN != n || got != want {
		t.Errorf("Failures() = %d, %q; want %d, %q", gotN, got, n, want)
	}
}
