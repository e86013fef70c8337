package api_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/logplug/logplug/api"
)

// recorder implements only the required methods and records each call.
type recorder struct{ calls []string }

func (r *recorder) Log(msg string, _ map[string]string)  { r.calls = append(r.calls, "Log:"+msg) }
func (r *recorder) Info(msg string, _ map[string]string) { r.calls = append(r.calls, "Info:"+msg) }
func (r *recorder) Warn(msg string, _ map[string]string) { r.calls = append(r.calls, "Warn:"+msg) }

// full implements every optional capability as well.
type full struct {
	recorder
	settings         map[string]string
	flushed, closed  int
	name, version    string
	configureFailure error
}

func (f *full) Debug(msg string, _ map[string]string) { f.calls = append(f.calls, "Debug:"+msg) }
func (f *full) Error(msg string, _ map[string]string) { f.calls = append(f.calls, "Error:"+msg) }
func (f *full) Configure(s map[string]string) error {
	f.settings = s
	return f.configureFailure
}
func (f *full) Flush() error               { f.flushed++; return nil }
func (f *full) Close() error               { f.closed++; return nil }
func (f *full) Describe() (string, string) { return f.name, f.version }

var (
	_ api.Logger      = (*full)(nil)
	_ api.DebugLogger = (*full)(nil)
	_ api.ErrorLogger = (*full)(nil)
	_ api.Configurer  = (*full)(nil)
	_ api.Flusher     = (*full)(nil)
	_ api.Closer      = (*full)(nil)
	_ api.Describer   = (*full)(nil)
)

func TestParseLevel(t *testing.T) {
	tests := []struct {
		name    string
		want    api.Level
		wantErr bool
	}{
		{"log", api.LevelLog, false},
		{"debug", api.LevelDebug, false},
		{"TRACE", api.LevelDebug, false},
		{"info", api.LevelInfo, false},
		{"Info", api.LevelInfo, false},
		{"notice", api.LevelInfo, false},
		{"warn", api.LevelWarn, false},
		{"WARNING", api.LevelWarn, false},
		{"error", api.LevelError, false},
		{"fatal", api.LevelError, false},
		{"critical", api.LevelError, false},
		{"", api.LevelLog, true},
		{"verbose", api.LevelLog, true},
	}
	for _, tt := range tests {
		got, err := api.ParseLevel(tt.name)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, api.ErrUnknownLevel) {
			t.Errorf("ParseLevel(%q) error %v does not wrap ErrUnknownLevel", tt.name, err)
		}
		if err == nil && !strings.EqualFold(got.String(), tt.name) {
			if back, _ := api.ParseLevel(got.String()); back != got {
				t.Errorf("ParseLevel(%v.String()) = %v, want a round trip", got, back)
			}
		}
	}
	if s := api.Level(42).String(); s != "Level(42)" {
		t.Errorf("Level(42).String() = %q", s)
	}
}

func TestSendFallbacks(t *testing.T) {
	levels := []api.Level{api.LevelLog, api.LevelDebug, api.LevelInfo, api.LevelWarn, api.LevelError, api.Level(99)}
	tests := []struct {
		name   string
		logger interface {
			api.Logger
			got() []string
		}
		want []string
	}{
		{"required methods only", &minimal{}, []string{"Log:log", "Log:debug", "Info:info", "Warn:warn", "Warn:error", "Log:Level(99)"}},
		{"every level method", &fullRec{}, []string{"Log:log", "Debug:debug", "Info:info", "Warn:warn", "Error:error", "Log:Level(99)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, l := range levels {
				api.Send(tt.logger, l, l.String(), nil)
			}
			if got := strings.Join(tt.logger.got(), " "); got != strings.Join(tt.want, " ") {
				t.Errorf("calls = %s\nwant    %s", got, strings.Join(tt.want, " "))
			}
		})
	}
}

type minimal struct{ recorder }

func (m *minimal) got() []string { return m.calls }

type fullRec struct{ full }

func (f *fullRec) got() []string { return f.calls }

func TestConfigure(t *testing.T) {
	t.Run("configurer gets a non-nil map", func(t *testing.T) {
		f := &full{}
		if err := api.Configure(f, nil); err != nil {
			t.Fatal(err)
		}
		if f.settings == nil {
			t.Error("Configure passed a nil map")
		}
	})
	t.Run("configurer error is returned", func(t *testing.T) {
		want := errors.New("setting x: unknown key")
		if err := api.Configure(&full{configureFailure: want}, map[string]string{"x": "1"}); err != want {
			t.Errorf("err = %v, want %v", err, want)
		}
	})
	t.Run("no settings for a plain logger", func(t *testing.T) {
		if err := api.Configure(&recorder{}, map[string]string{}); err != nil {
			t.Errorf("err = %v, want nil", err)
		}
	})
	t.Run("settings for a plain logger", func(t *testing.T) {
		err := api.Configure(&recorder{}, map[string]string{"b": "1", "a": "2"})
		if !errors.Is(err, api.ErrNotConfigurable) || !strings.Contains(err.Error(), "settings a, b") {
			t.Errorf("err = %v, want ErrNotConfigurable naming a, b", err)
		}
	})
}

func TestFlushCloseDescribe(t *testing.T) {
	f := &full{name: "demo", version: "v1"}
	if err := api.Flush(f); err != nil || f.flushed != 1 {
		t.Errorf("Flush: err %v, flushed %d", err, f.flushed)
	}
	if err := api.Close(f); err != nil || f.closed != 1 {
		t.Errorf("Close: err %v, closed %d", err, f.closed)
	}
	if err := api.Flush(&recorder{}); err != nil {
		t.Errorf("Flush of a plain logger: %v", err)
	}
	if err := api.Close(&recorder{}); err != nil {
		t.Errorf("Close of a plain logger: %v", err)
	}
	tests := []struct {
		logger            api.Logger
		wantName, wantVer string
	}{
		{f, "demo", "v1"},
		{&full{name: "", version: "v2"}, "fallback", ""},
		{&recorder{}, "fallback", ""},
	}
	for _, tt := range tests {
		if n, v := api.Describe(tt.logger, "fallback"); n != tt.wantName || v != tt.wantVer {
			t.Errorf("Describe(%T) = %q, %q; want %q, %q", tt.logger, n, v, tt.wantName, tt.wantVer)
		}
	}
}

func ExampleSend() {
	var l printer
	api.Send(l, api.LevelError, "disk full", map[string]string{"dev": "sda"})
	api.Send(l, api.LevelDebug, "cache miss", nil)
	// Output:
	// WARN disk full map[dev:sda]
	// LOG cache miss map[]
}

// printer has only the required methods, so Send falls back for Error and
// Debug.
type printer struct{}

func (printer) Log(msg string, l map[string]string)  { fmt.Println("LOG", msg, l) }
func (printer) Info(msg string, l map[string]string) { fmt.Println("INFO", msg, l) }
func (printer) Warn(msg string, l map[string]string) { fmt.Println("WARN", msg, l) }
