package integration

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// jsonLines parses output made of one JSON object per line, with string
// values, as stdoutjson writes it.
func jsonLines(t *testing.T, out string) []map[string]string {
	t.Helper()
	var recs []map[string]string
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]string
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("output line %d %q is not a JSON object of strings: %v", i+1, line, err)
		}
		recs = append(recs, rec)
	}
	return recs
}

// record builds the object stdoutjson writes for a message.
func record(level, msg string, labels map[string]string) map[string]string {
	r := maps.Clone(labels)
	if r == nil {
		r = map[string]string{}
	}
	r["level"], r["msg"] = level, msg
	return r
}

func compareRecords(t *testing.T, got, want []map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !maps.Equal(got[i], want[i]) {
			t.Fatalf("record %d = %v\nwant %v", i, got[i], want[i])
		}
	}
}

func TestEmit(t *testing.T) {
	dir := pluginFolder(t, referencePlugin("stdoutjson"))
	tests := []struct {
		name string
		args []string
		want map[string]string
	}{
		{"plain", []string{"hello"}, record("info", "hello", nil)},
		{"words joined", []string{"hello", "big", "world"}, record("info", "hello big world", nil)},
		{"level and labels", []string{"--level", "warn", "--label", "user=ann", "--label", "ip=10.0.0.1", "disk full"},
			record("warn", "disk full", map[string]string{"user": "ann", "ip": "10.0.0.1"})},
		{"debug", []string{"--level", "debug", "d"}, record("debug", "d", nil)},
		{"error", []string{"--level", "ERROR", "e"}, record("error", "e", nil)},
		{"no level", []string{"--level", "log", "l"}, record("log", "l", nil)},
		{"label with = in value", []string{"--label", "q=a=b", "m"}, record("info", "m", map[string]string{"q": "a=b"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := logplug(t, "", append([]string{"emit", "--plugins", dir}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			compareRecords(t, jsonLines(t, r.stdout), []map[string]string{tt.want})
		})
	}
}

func TestEmitFromDefaultFolder(t *testing.T) {
	// As in the article: with no flag, plugins are found in ./plugins.
	work := t.TempDir()
	if err := os.Mkdir(filepath.Join(work, "plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, referencePlugin("stdoutjson"), filepath.Join(work, "plugins", "stdoutjson.so"))
	cwd, _ := os.Getwd()
	if err := os.Chdir(work); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(cwd)
	r := logplug(t, "", "emit", "from the default folder")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	compareRecords(t, jsonLines(t, r.stdout), []map[string]string{record("info", "from the default folder", nil)})
}

func TestRun(t *testing.T) {
	dir := pluginFolder(t, referencePlugin("stdoutjson"))
	levels := []string{"debug", "info", "warn", "error"}
	var in strings.Builder
	var want []map[string]string
	for i := range 1000 {
		level := levels[i%len(levels)]
		labels := map[string]string{"seq": fmt.Sprint(i), "user": fmt.Sprintf("u%d", i%7), "text": "a \"quoted\" é"}
		obj := map[string]any{"level": level, "msg": fmt.Sprintf("message %d", i)}
		for k, v := range labels {
			obj[k] = v
		}
		b, _ := json.Marshal(obj)
		in.Write(b)
		in.WriteString("\n")
		want = append(want, record(level, fmt.Sprintf("message %d", i), labels))
	}
	// Lines that are not JSON objects are messages at level info.
	in.WriteString("plain text line\r\n")
	want = append(want, record("info", "plain text line", nil))
	in.WriteString("\n") // skipped
	in.WriteString(`{"message":"typed","n":42,"ok":true,"nothing":null}` + "\n")
	want = append(want, record("info", "typed", map[string]string{"n": "42", "ok": "true", "nothing": "null"}))
	in.WriteString(`{"level":"verbose","msg":"odd level"}` + "\n")
	// The unknown level stays a label, which stdoutjson renames.
	want = append(want, record("log", "odd level", map[string]string{"label.level": "verbose"}))
	in.WriteString("last line without newline")
	want = append(want, record("info", "last line without newline", nil))

	r := logplug(t, in.String(), "run", "--plugins", dir)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	compareRecords(t, jsonLines(t, r.stdout), want)
	if !strings.Contains(r.stderr, "stdoutjson: received 1004, delivered 1004, failed 0, dropped 0, panics 0, errors 0") {
		t.Errorf("stderr lacks the counts:\n%s", r.stderr)
	}
}

func TestArticleShapedPlugin(t *testing.T) {
	// A plugin written like the article's: its own interface, a struct value
	// with pointer-receiver methods, no import of logplug.
	dir := pluginFolder(t, fixture("article"))
	r := logplug(t, "", "emit", "--plugins", dir, "--label", "user=sample", "Hello world!")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if want := "[INFO]\tHello world!\t{\"user\":\"sample\"}\n"; r.stdout != want {
		t.Errorf("stdout = %q, want %q", r.stdout, want)
	}
	// Error falls back to Warn, debug to Log.
	r = logplug(t, "{\"level\":\"error\",\"msg\":\"e\"}\n{\"level\":\"debug\",\"msg\":\"d\"}\n", "run", "--plugins", dir)
	if want := "[WARN]\te\t{}\n[LOG]\td\t{}\n"; r.code != 0 || r.stdout != want {
		t.Errorf("run: exit %d, stdout = %q, want %q; stderr:\n%s", r.code, r.stdout, want, r.stderr)
	}
}

func TestJunkPluginDoesNotStopTheOthers(t *testing.T) {
	dir := pluginFolder(t, referencePlugin("stdoutjson"))
	if err := os.WriteFile(filepath.Join(dir, "junk.so"), []byte("this is not a plugin\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := logplug(t, "one\ntwo\n", "run", "--plugins", dir)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "junk.so") {
		t.Errorf("stderr does not report junk.so:\n%s", r.stderr)
	}
	compareRecords(t, jsonLines(t, r.stdout), []map[string]string{record("info", "one", nil), record("info", "two", nil)})

	l := logplug(t, "", "list", "--plugins", dir)
	if l.code != 0 {
		t.Fatalf("list: exit %d, stderr:\n%s", l.code, l.stderr)
	}
	for _, want := range []string{"junk", "failed", "stdoutjson", "v0.1.0", "ok"} {
		if !strings.Contains(l.stdout, want) {
			t.Errorf("list output lacks %q:\n%s", want, l.stdout)
		}
	}

	// With --strict, list prints the same table (its open times aside),
	// then fails.
	s := logplug(t, "", "list", "--strict", "--plugins", dir)
	wantErr := "logplug list: --strict: 1 plugins failed and 0 settings name no plugin (see above); nothing was sent\n"
	if s.code != 1 || strings.Count(s.stdout, "\n") != strings.Count(l.stdout, "\n") || !strings.Contains(s.stdout, "junk: ") || s.stderr != wantErr {
		t.Errorf("list --strict: exit %d, stdout:\n%s\nstderr %q; want exit 1, the table of list and %q", s.code, s.stdout, s.stderr, wantErr)
	}
}

func TestNoPlugins(t *testing.T) {
	tests := []struct {
		name, dir, want string
	}{
		{"missing folder", filepath.Join(t.TempDir(), "nope"), "no such file or directory"},
		{"empty folder", t.TempDir(), "holds no .so file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := logplug(t, "", "emit", "--plugins", tt.dir, "hello")
			if r.code != 1 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 1 and %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		stdoutHas  string
		stderrHas  string
		stdoutNone bool
	}{
		{"no command", nil, 2, "", "The commands are", true},
		{"help", []string{"help"}, 0, "The commands are", "", false},
		{"unknown command", []string{"frobnicate"}, 2, "", "unknown command", true},
		{"emit -h", []string{"emit", "-h"}, 0, "usage: logplug emit", "", false},
		{"run --help", []string{"run", "--help"}, 0, "usage: logplug run", "", false},
		{"help list", []string{"help", "list"}, 0, "usage: logplug list", "", false},
		{"bad flag", []string{"emit", "--bogus", "x"}, 2, "", "flag provided but not defined: -bogus", true},
		{"no message", []string{"emit"}, 2, "", "no message given", true},
		{"bad level", []string{"emit", "--level", "loud", "x"}, 2, "", `unknown level "loud"`, true},
		{"bad label", []string{"emit", "--label", "novalue", "x"}, 2, "", `"novalue" is not KEY=VALUE`, true},
		{"run takes no arguments", []string{"run", "file.txt"}, 2, "", "unexpected arguments", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := logplug(t, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.stdoutHas) || !strings.Contains(r.stderr, tt.stderrHas) {
				t.Errorf("stdout %q (want %q), stderr %q (want %q)", r.stdout, tt.stdoutHas, r.stderr, tt.stderrHas)
			}
			if tt.stdoutNone && r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
		})
	}
}

func TestVersionPrintsTheBuildCommand(t *testing.T) {
	r := logplug(t, "", "version")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"logplug v", "go:       go1.", "CGO_ENABLED=1 go build -buildmode=plugin -trimpath -o NAME.so ."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("version output lacks %q:\n%s", want, r.stdout)
		}
	}
}
