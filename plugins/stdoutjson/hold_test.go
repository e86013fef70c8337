package main

import (
	"strings"
	"testing"

	"github.com/logplug/logplug/api"
)

var (
	_ api.Flusher = &LoggingPlugin
	_ api.Holder  = &LoggingPlugin
)

// writes records each Write call.
type writes struct {
	calls []string
}

func (w *writes) Write(p []byte) (int, error) {
	w.calls = append(w.calls, string(p))
	return len(p), nil
}

func TestHold(t *testing.T) {
	line := `{"level":"info","msg":"m","k":"v"}` + "\n"
	manyLines := holdSize/len(line) + 10
	tests := []struct {
		name  string
		hold  bool
		lines int
		// wantBefore is the number of Write calls before Flush, wantAfter
		// the number after it.
		wantBefore, wantAfter int
	}{
		{"without Hold, each line at once", false, 3, 3, 3},
		{"held until Flush", true, 3, 0, 1},
		{"held until the buffer is full", true, manyLines, 1, 2},
		{"nothing held, nothing written", true, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &writes{}
			l := &logger{out: w}
			if tt.hold {
				l.Hold()
			}
			for range tt.lines {
				l.Info("m", map[string]string{"k": "v"})
			}
			if len(w.calls) != tt.wantBefore {
				t.Errorf("%d writes before Flush, want %d", len(w.calls), tt.wantBefore)
			}
			if err := l.Flush(); err != nil {
				t.Fatal(err)
			}
			if len(w.calls) != tt.wantAfter {
				t.Errorf("%d writes after Flush, want %d", len(w.calls), tt.wantAfter)
			}
			all := strings.Join(w.calls, "")
			if all != strings.Repeat(line, tt.lines) {
				t.Errorf("wrote %d bytes, want %d lines of %q", len(all), tt.lines, line)
			}
			for _, c := range w.calls {
				if !strings.HasSuffix(c, "\n") {
					t.Errorf("a write ends inside a line: %.40q", c[max(0, len(c)-40):])
				}
			}
		})
	}
}
