package host

import (
	"io"
	"log"
	"strings"
	"testing"
	"time"
)

// holdingLogger is a fakeLogger that can hold messages.
type holdingLogger struct {
	fakeLogger
	panicInHold bool
}

func (h *holdingLogger) Hold() {
	h.record("Hold", "")
	if h.panicInHold {
		panic("boom in Hold")
	}
}

func TestIdle(t *testing.T) {
	tests := []struct {
		name          string
		flushWhenIdle bool
		panicInHold   bool
		// want are the calls the holding plugin and the plain one see for
		// Hold, one message, Idle and Idle again.
		wantHolder, wantPlain string
		wantLog               string
	}{
		{"promise made", true, false, "Hold: Info:a Flush: Flush:", "Info:a", ""},
		{"no promise", false, false, "Info:a", "Info:a", ""},
		{"panic in Hold", true, true, "Hold: Info:a", "Info:a", "panicked in Hold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			holder := &holdingLogger{panicInHold: tt.panicInHold}
			plain := &fakeLogger{}
			var logBuf strings.Builder
			h := New(Options{Synchronous: true, FlushWhenIdle: tt.flushWhenIdle, ErrorLog: log.New(&logBuf, "", 0)},
				&Plugin{Name: "holder", Logger: holder}, &Plugin{Name: "plain", Logger: plain})
			h.Info("a", nil)
			if err := h.Idle(); err != nil {
				t.Fatalf("Idle: %v", err)
			}
			if err := h.Idle(); err != nil {
				t.Fatalf("Idle: %v", err)
			}
			if got := holder.got(); got != tt.wantHolder {
				t.Errorf("holding plugin saw %q, want %q", got, tt.wantHolder)
			}
			if got := plain.got(); got != tt.wantPlain {
				t.Errorf("plain plugin saw %q, want %q", got, tt.wantPlain)
			}
			if tt.wantLog != "" && !strings.Contains(logBuf.String(), tt.wantLog) {
				t.Errorf("error log %q lacks %q", logBuf.String(), tt.wantLog)
			}
			if h.Loaded() != 2 {
				t.Errorf("Loaded() = %d, want 2", h.Loaded())
			}
		})
	}
}

// TestIdleQueued checks that, with queued delivery, Idle makes the plugin's
// goroutine flush a holding plugin once it has delivered what was queued,
// and leaves a plugin that does not hold alone.
func TestIdleQueued(t *testing.T) {
	holder, plain := &holdingLogger{}, &fakeLogger{}
	h := New(Options{FlushWhenIdle: true, ErrorLog: log.New(io.Discard, "", 0)},
		&Plugin{Name: "holder", Logger: holder}, &Plugin{Name: "plain", Logger: plain})
	defer h.Close()
	for round, want := range []string{"Hold: Info:a Info:b Flush:", "Hold: Info:a Info:b Flush: Info:c Flush:"} {
		if round == 0 {
			h.Info("a", nil)
			h.Info("b", nil)
		} else {
			h.Info("c", nil)
		}
		if err := h.Idle(); err != nil {
			t.Fatalf("Idle: %v", err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for holder.got() != want {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: holding plugin saw %q, want %q", round, holder.got(), want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if got := plain.got(); strings.Contains(got, "Flush") {
		t.Errorf("plain plugin was flushed while idle: %q", got)
	}
}

func TestIdleAfterClose(t *testing.T) {
	holder := &holdingLogger{}
	h := New(Options{FlushWhenIdle: true, ErrorLog: log.New(io.Discard, "", 0)}, &Plugin{Name: "holder", Logger: holder})
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.Idle(); err != nil {
		t.Fatalf("Idle after Close: %v", err)
	}
	if got, want := holder.got(), "Hold: Flush: Close:"; got != want {
		t.Errorf("holding plugin saw %q, want %q", got, want)
	}
}
