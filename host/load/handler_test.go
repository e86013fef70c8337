package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/logplug/logplug/api"
)

// bothShapes has the methods of api.Logger and of slog.Handler: the host
// must use it as a handler.
type bothShapes struct{ *slog.JSONHandler }

func (bothShapes) Log(string, map[string]string)  { panic("called as a logger") }
func (bothShapes) Info(string, map[string]string) { panic("called as a logger") }
func (bothShapes) Warn(string, map[string]string) { panic("called as a logger") }

// failingHandler fails every Handle.
type failingHandler struct{ slog.Handler }

func (failingHandler) Handle(context.Context, slog.Record) error {
	return errors.New("write out.log: no space left on device")
}

// TestHandlerShape checks that a LoggingPlugin that is a slog.Handler
// (declared as one, as a pointer, or with the logger's methods too) gets
// each message as a record: level, message and the labels as attributes,
// and only the levels it is enabled for.
func TestHandlerShape(t *testing.T) {
	var buf bytes.Buffer
	warnOnly := &slog.HandlerOptions{Level: slog.LevelWarn}
	var asInterface slog.Handler = slog.NewJSONHandler(&buf, nil)
	asPointer := slog.NewJSONHandler(&buf, nil)
	both := bothShapes{slog.NewJSONHandler(&buf, nil)}
	var warnHandler slog.Handler = slog.NewJSONHandler(&buf, warnOnly)
	// slog's default level is info: a debug message is not written.
	all := []string{"INFO log", "INFO info v", "WARN warn", "ERROR error"}
	tests := []struct {
		name string
		sym  any
		want []string // the "level msg k" of each line written
	}{
		{"var LoggingPlugin slog.Handler = slog.NewJSONHandler(...)", &asInterface, all},
		{"a *slog.JSONHandler variable", &asPointer, all},
		{"both shapes", &both, all},
		{"enabled from warn", &warnHandler, []string{"WARN warn", "ERROR error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf.Reset()
			l, err := asLogger(tt.sym)
			if err != nil {
				t.Fatal(err)
			}
			for _, level := range []api.Level{api.LevelDebug, api.LevelLog, api.LevelInfo, api.LevelWarn, api.LevelError} {
				var labels map[string]string
				if level == api.LevelInfo {
					labels = map[string]string{"k": "v"}
				}
				api.Send(l, level, level.String(), labels)
			}
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				var rec struct{ Level, Msg, K, Time string }
				if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Time == "" {
					t.Fatalf("line %q: %v (or no time)", line, err)
				}
				got = append(got, strings.TrimSpace(rec.Level+" "+rec.Msg+" "+rec.K))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("wrote %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHandlerFailures checks that a Handle that fails counts as a failed
// write, and that a handler without Configure takes no settings.
func TestHandlerFailures(t *testing.T) {
	l := newHandlerLogger(failingHandler{slog.NewTextHandler(io.Discard, nil)})
	l.Info("a", nil)
	l.Warn("b", nil)
	if n, err := l.Failures(); n != 2 || err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Errorf("Failures() = %d, %v; want 2 and the Handle error", n, err)
	}
	if err := l.Configure(map[string]string{"k": "v"}); !errors.Is(err, api.ErrNotConfigurable) {
		t.Errorf("Configure(k=v) = %v, want ErrNotConfigurable", err)
	}
	if err := l.Configure(map[string]string{}); err != nil {
		t.Errorf("Configure() = %v, want nil", err)
	}
}
