package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/logplug/logplug/api"
	"github.com/logplug/logplug/api/plugintest"
)

// The plugin's value, as the host sees it, has every method of the contract
// that it means to have.
var (
	_ api.Logger         = &LoggingPlugin
	_ api.DebugLogger    = &LoggingPlugin
	_ api.ErrorLogger    = &LoggingPlugin
	_ api.Describer      = &LoggingPlugin
	_ api.Borrower       = &LoggingPlugin
	_ api.FailureCounter = &LoggingPlugin
	_ api.Reopener       = &LoggingPlugin
)

func TestOutput(t *testing.T) {
	tests := []struct {
		name   string
		send   func(l *logger)
		want   string
		fields map[string]string
	}{
		{"info with sorted labels", func(l *logger) { l.Info("hi", map[string]string{"b": "2", "a": "1"}) },
			`{"level":"info","msg":"hi","a":"1","b":"2"}`, nil},
		{"nil labels", func(l *logger) { l.Warn("w", nil) }, `{"level":"warn","msg":"w"}`, nil},
		{"no level", func(l *logger) { l.Log("plain", map[string]string{}) }, `{"level":"log","msg":"plain"}`, nil},
		{"debug", func(l *logger) { l.Debug("d", nil) }, `{"level":"debug","msg":"d"}`, nil},
		{"error", func(l *logger) { l.Error("e", nil) }, `{"level":"error","msg":"e"}`, nil},
		{"escapes", func(l *logger) { l.Info("q\"\\\n\t\x01\xffé<", nil) },
			`{"level":"info","msg":"q\"\\\n\t\u0001\ufffdé<"}`, nil},
		{"reserved label names", func(l *logger) { l.Info("m", map[string]string{"msg": "x", "level": "y"}) },
			`{"level":"info","msg":"m","label.level":"y","label.msg":"x"}`, nil},
		{"renamed label names", func(l *logger) {
			l.Info("m", map[string]string{"level": "a", "label.level": "b", "label.label.level": "c", "label.": "d", "label": "e", "labels.x": "f"})
		}, `{"level":"info","msg":"m","label":"e","label.label.":"d","label.label.label.level":"c","label.label.level":"b","labels.x":"f","label.level":"a"}`, nil},
		{"escaped renamed name", func(l *logger) { l.Info("m", map[string]string{"label.\"q\"\n": "v"}) },
			`{"level":"info","msg":"m","label.label.\"q\"\n":"v"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := &logger{out: &buf}
			tt.send(l)
			got := buf.String()
			if got != tt.want+"\n" {
				t.Errorf("wrote %q\nwant  %q", got, tt.want+"\n")
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("wrote invalid JSON %q", got)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	l := &logger{out: &buf}
	labels := map[string]string{"user": "ann", "ip": "10.0.0.1", "empty": "", "uni": "日本"}
	l.Info("user logged in", labels)
	var got map[string]string
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := maps.Clone(labels)
	want["level"], want["msg"] = "info", "user logged in"
	if !maps.Equal(got, want) {
		t.Errorf("decoded %v, want %v", got, want)
	}
}

func TestConcurrentLinesStayWhole(t *testing.T) {
	var buf bytes.Buffer
	l := &logger{out: &buf}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for range 200 {
				l.Info(strings.Repeat("x", g*10), map[string]string{"g": "1"})
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 16*200 {
		t.Fatalf("got %d lines, want %d", len(lines), 16*200)
	}
	for _, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Fatalf("line %q is not whole JSON", line)
		}
	}
}

func TestDescribe(t *testing.T) {
	if n, v := LoggingPlugin.Describe(); n != name || v == "" {
		t.Errorf("Describe() = %q, %q; want %q and a version", n, v, name)
	}
}

// TestConformance runs the conformance suite of package plugintest, which
// checks every rule of the contract that the plugin's methods can break.
// The plugin writes to a buffer here, as to standard output in use: its
// Reopen writes out what it holds and opens nothing, since standard output
// has no path to open again. It takes no settings, so the suite skips
// setting-keys.
func TestConformance(t *testing.T) {
	var buf bytes.Buffer
	plugintest.Run(t, plugintest.Plugin{
		New: func() api.Logger {
			buf.Reset()
			return &logger{out: &buf}
		},
		Result: func() ([]plugintest.Record, error) { return parse(buf.Bytes()) },
	})
}

// parse reads the plugin's output back into records: it undoes the
// renaming of labels, removing one "label." from each key that begins with
// it.
func parse(out []byte) ([]plugintest.Record, error) {
	var recs []plugintest.Record
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var obj map[string]string
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			return nil, fmt.Errorf("line %d %q: %w", n, sc.Text(), err)
		}
		level, err := api.ParseLevel(obj["level"])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		r := plugintest.Record{Level: level, Msg: obj["msg"], Labels: map[string]string{}}
		delete(obj, "level")
		delete(obj, "msg")
		for k, v := range obj {
			k = strings.TrimPrefix(k, "label.")
			if _, ok := r.Labels[k]; ok {
				return nil, fmt.Errorf("line %d: two keys name the label %q", n, k)
			}
			r.Labels[k] = v
		}
		recs = append(recs, r)
	}
	return recs, sc.Err()
}

func BenchmarkInfo(b *testing.B) {
	l := &logger{out: discard{}}
	labels := map[string]string{"method": "GET", "path": "/api/v1/items", "status": "200"}
	b.ReportAllocs()
	for b.Loop() {
		l.Info("request served", labels)
	}
}

// BenchmarkInfoRenamedLabels writes labels that are renamed: it allocates
// no more than BenchmarkInfo.
func BenchmarkInfoRenamedLabels(b *testing.B) {
	l := &logger{out: discard{}}
	labels := map[string]string{"level": "a", "msg": "b", "label.level": "c", "status": "200"}
	b.ReportAllocs()
	for b.Loop() {
		l.Info("request served", labels)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
