package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logplug/logplug/magefiles/build"
)

// slogdemo builds the example program host/examples/slogdemo with the
// settings of the host and plugins, once per test run, and returns its
// path.
var slogdemo = sync.OnceValues(func() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	a, err := build.Example(ctx, repoRoot, "slogdemo")
	if err != nil {
		return "", err
	}
	return filepath.Join(repoRoot, a.Path), nil
})

// runSlogdemo runs the example program with args and returns what it
// printed and its exit status.
func runSlogdemo(t *testing.T, args ...string) result {
	t.Helper()
	bin, err := slogdemo()
	if err != nil {
		t.Fatalf("build the slogdemo example: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "LOGPLUG_PLUGINS=")
	return runCmd(t, cmd, "")
}

// slogdemoRecords are the records slogdemo logs, as stdoutjson writes them
// without their time label, at the least level given.
func slogdemoRecords(withDebug bool) []map[string]string {
	var recs []map[string]string
	recs = append(recs, record("info", "slogdemo started", map[string]string{"version": "v0.1.0"}))
	if withDebug {
		recs = append(recs,
			// Below debug: the method for messages without a level, and
			// the slog level as a label (stdoutjson renames "level").
			record("log", "reading configuration", map[string]string{"entries": "3", "label.level": "DEBUG-4"}),
			record("debug", "cache warm", map[string]string{"entries": "1024"}))
	}
	return append(recs,
		record("info", "request served", map[string]string{
			"component": "http", "req.method": "GET", "req.path": "/search", "req.status": "200", "req.took": "1.5ms"}),
		record("warn", "slow request", map[string]string{
			"component": "http", "req.method": "POST", "req.path": "/upload", "req.took": "2s"}),
		record("error", "request failed", map[string]string{
			"err": "database unreachable", "db.host": "10.0.0.5", "db.attempt": "3"}),
		record("info", "a line from the log package", nil),
	)
}

// withoutTime checks that each record has a "time" label in RFC 3339 with
// nanoseconds, and removes it.
func withoutTime(t *testing.T, recs []map[string]string) []map[string]string {
	t.Helper()
	for i, r := range recs {
		ts, ok := r["time"]
		if !ok {
			t.Fatalf("record %d has no time label: %v", i, r)
		}
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
			t.Fatalf("record %d: time label %q is not RFC 3339: %v", i, ts, err)
		}
		delete(r, "time")
	}
	return recs
}

func TestSlogdemoToStdoutjson(t *testing.T) {
	dir := pluginFolder(t, referencePlugin("stdoutjson"))
	tests := []struct {
		name      string
		args      []string
		withDebug bool
	}{
		{"default level", nil, false},
		{"level DEBUG-4", []string{"-level", "DEBUG-4"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSlogdemo(t, append([]string{"-plugins", dir}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			want := slogdemoRecords(tt.withDebug)
			compareRecords(t, withoutTime(t, jsonLines(t, r.stdout)), want)
			counts := fmt.Sprintf("slogdemo: stdoutjson: %d received, %d delivered, 0 lost", len(want), len(want))
			if !strings.Contains(r.stderr, counts) {
				t.Errorf("stderr lacks %q:\n%s", counts, r.stderr)
			}
		})
	}
}

func TestSlogdemoFromEnvironment(t *testing.T) {
	dir := pluginFolder(t, referencePlugin("stdoutjson"))
	bin, err := slogdemo()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "LOGPLUG_PLUGINS="+dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("slogdemo with $LOGPLUG_PLUGINS=%s: %v", dir, err)
	}
	if got, want := len(jsonLines(t, string(out))), len(slogdemoRecords(false)); got != want {
		t.Errorf("got %d records, want %d", got, want)
	}
}

func TestSlogdemoFailures(t *testing.T) {
	empty := t.TempDir()
	badConfig := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(badConfig, []byte(`{"file": "app.log"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no plugins", []string{"-plugins", empty}, 1, "no plugin loaded from " + empty},
		{"missing folder", []string{"-plugins", filepath.Join(empty, "nope")}, 1, "set -plugins or $LOGPLUG_PLUGINS"},
		{"bad config", []string{"-plugins", empty, "-config", badConfig}, 1, `want an object of settings by plugin name`},
		{"bad level", []string{"-level", "loud"}, 2, `invalid value "loud" for flag -level`},
		{"arguments", []string{"extra"}, 2, `unexpected arguments ["extra"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSlogdemo(t, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.stderr)
			}
		})
	}
}

// TestSlogdemoToFile runs slogdemo with the stdoutjson and file plugins and
// checks that the records arrive at both.
func TestSlogdemoToFile(t *testing.T) {
	dir := pluginFolder(t, referencePlugin("stdoutjson"), referencePlugin("file"))
	logFile := filepath.Join(t.TempDir(), "app.log")
	config := filepath.Join(t.TempDir(), "config.json")
	data, err := json.Marshal(map[string]map[string]string{"file": {"path": logFile}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, data, 0o644); err != nil {
		t.Fatal(err)
	}

	r := runSlogdemo(t, "-plugins", dir, "-config", config)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	want := slogdemoRecords(false)
	compareRecords(t, withoutTime(t, jsonLines(t, r.stdout)), want)

	f, err := os.Open(logFile)
	if err != nil {
		t.Fatalf("the file plugin wrote no log: %v", err)
	}
	defer f.Close()
	var got []map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		got = append(got, fileRecord(t, sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("file has %d records, want %d:\n%v", len(got), len(want), got)
	}
	for i, w := range want {
		for k, v := range w {
			if k == "label.level" {
				continue // stdoutjson's name for a "level" label
			}
			if got[i][k] != v {
				t.Errorf("file record %d: %s = %q, want %q (record %v)", i, k, got[i][k], v, got[i])
			}
		}
	}
}

// fileRecord reads one line the file plugin wrote (a JSON object with
// time, level, msg and the labels, either in an object named "labels" or
// beside the others) into the shape of a stdoutjson record.
func fileRecord(t *testing.T, line []byte) map[string]string {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(line, &raw); err != nil {
		t.Fatalf("file line %q is not a JSON object: %v", line, err)
	}
	rec := map[string]string{}
	if labels, ok := raw["labels"].(map[string]any); ok {
		for k, v := range labels {
			rec[k] = fmt.Sprint(v)
		}
		delete(raw, "labels")
	}
	for _, k := range []string{"level", "msg"} {
		s, ok := raw[k].(string)
		if !ok {
			t.Fatalf("file line %q has no string %q", line, k)
		}
		rec[k] = s
		delete(raw, k)
	}
	for k, v := range maps.All(raw) {
		if _, ok := rec[k]; !ok && k != "time" {
			rec[k] = fmt.Sprint(v)
		}
	}
	return rec
}
