package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestHandlerPlugin loads a plugin whose whole code is a slog.Handler
// variable, and checks that run sends it a record for each line it is
// enabled for (slog's default: info and above), with the time, the level,
// the message and the labels as attributes.
func TestHandlerPlugin(t *testing.T) {
	dir := pluginFolder(t, fixture("sloghandler"))
	before := time.Now()
	r := logplug(t, `{"level":"warn","msg":"slow request","path":"/search"}`+"\n"+
		`{"level":"debug","msg":"not enabled"}`+"\n"+"a plain line\n", "run", "--plugins", dir)
	t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	if r.code != 0 {
		t.Fatalf("exit status %d, want 0", r.code)
	}
	type record struct {
		Time       time.Time
		Level, Msg string
		Path       string
	}
	want := []record{{Level: "WARN", Msg: "slow request", Path: "/search"}, {Level: "INFO", Msg: "a plain line"}}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines written, want %d", len(lines), len(want))
	}
	for i, line := range lines {
		var got record
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if got.Time.Before(before.Add(-time.Second)) || got.Time.After(time.Now()) {
			t.Errorf("line %d has the time %v, not the time of the run", i+1, got.Time)
		}
		got.Time = time.Time{}
		if got != want[i] {
			t.Errorf("line %d = %+v, want %+v", i+1, got, want[i])
		}
	}
	if !strings.Contains(r.stderr, "logplug: sloghandler: received 3, delivered 3, failed 0, dropped 0, panics 0, errors 0, lost 0") {
		t.Errorf("stderr lacks the counts of sloghandler")
	}
}
