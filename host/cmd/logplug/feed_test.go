package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"maps"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logplug/logplug/api"
	"github.com/logplug/logplug/host"
)

// recorder is an in-process plugin that records every message.
type recorder struct {
	mu   sync.Mutex
	msgs []string // "LEVEL msg labels"
	hold chan struct{}
}

func (r *recorder) add(level, msg string, labels map[string]string) {
	r.mu.Lock()
	r.msgs = append(r.msgs, fmt.Sprintf("%s %q %v", level, msg, labels))
	r.mu.Unlock()
	if r.hold != nil {
		<-r.hold
	}
}

func (r *recorder) Log(m string, l map[string]string)   { r.add("log", m, l) }
func (r *recorder) Info(m string, l map[string]string)  { r.add("info", m, l) }
func (r *recorder) Warn(m string, l map[string]string)  { r.add("warn", m, l) }
func (r *recorder) Error(m string, l map[string]string) { r.add("error", m, l) }

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

var _ api.Logger = (*recorder)(nil)

// syncWriter is a bytes.Buffer safe for several goroutines.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func testHost(stderr io.Writer, opts host.Options, loggers ...api.Logger) *host.Host {
	opts.ErrorLog = log.New(stderr, progName+": ", 0)
	var plugins []*host.Plugin
	for i, l := range loggers {
		plugins = append(plugins, &host.Plugin{Path: fmt.Sprintf("r%d.so", i), Name: fmt.Sprintf("r%d", i), Logger: l})
	}
	return host.New(opts, plugins...)
}

// TestInputRules checks what run makes of each kind of input line, as
// its help and the README document.
func TestInputRules(t *testing.T) {
	mib := strings.Repeat("m", 1<<20)
	tests := []struct {
		name    string
		input   string
		maxLine int
		want    []string
		summary string
		errHas  string
	}{
		{"JSON object", `{"level":"warn","msg":"disk","dev":"sda"}` + "\n", 0,
			[]string{`warn "disk" map[dev:sda]`}, "1 lines read: 1 sent, 0 empty, 0 too long", ""},
		{"invalid JSON is text", `{"level":"warn",` + "\n", 0,
			[]string{`info "{\"level\":\"warn\"," map[]`}, "1 lines read: 1 sent", ""},
		{"invalid UTF-8 kept", "caf\xe9\n", 0, []string{`info "caf\xe9" map[]`}, "1 sent", ""},
		{"invalid UTF-8 in JSON kept", "{\"msg\":\"a\xffb\",\"k\":\"\xfe\"}\n", 0, []string{`info "a\xffb" map[k:` + "\xfe" + `]`}, "1 sent", ""},
		{"NUL kept", "a\x00b\n", 0, []string{`info "a\x00b" map[]`}, "1 sent", ""},
		{"empty lines skipped", "\n\r\na\n\n", 0, []string{`info "a" map[]`}, "4 lines read: 1 sent, 3 empty, 0 too long", ""},
		{"CRLF", "a\r\nb\r\n", 0, []string{`info "a" map[]`, `info "b" map[]`}, "2 sent", ""},
		{"lone CR kept", "a\rb\n", 0, []string{`info "a\rb" map[]`}, "1 sent", ""},
		{"last line without newline", "a\nb", 0, []string{`info "a" map[]`, `info "b" map[]`}, "2 sent", ""},
		{"1 MiB line whole", mib + "\n" + `{"msg":"` + mib + `"}` + "\n", 0,
			[]string{fmt.Sprintf("info %q map[]", mib), fmt.Sprintf("info %q map[]", mib)}, "2 sent", ""},
		{"too long", "ok\n" + mib + "\nnext", 1000, []string{`info "ok" map[]`, `info "next" map[]`},
			"3 lines read: 2 sent, 0 empty, 1 too long", "1 input lines longer than 1000 bytes were skipped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			maxLine := tt.maxLine
			if maxLine == 0 {
				maxLine = defaultMaxLine
			}
			var stderr syncWriter
			rec := &recorder{}
			h := testHost(&stderr, host.Options{}, rec)
			err := feedAndShutdown(context.Background(), h, newFeeder(h, strings.NewReader(tt.input), maxLine, &stderr), &stderr)
			got := rec.got()
			if len(got) != len(tt.want) {
				t.Fatalf("got %d messages, want %d: %.200q", len(got), len(tt.want), got)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("message %d = %.100q, want %.100q", i, got[i], tt.want[i])
				}
			}
			if !strings.Contains(stderr.String(), "input: ") || !strings.Contains(stderr.String(), tt.summary) {
				t.Errorf("stderr lacks %q:\n%s", tt.summary, stderr.String())
			}
			if tt.errHas == "" && err != nil || tt.errHas != "" && (err == nil || !strings.Contains(err.Error(), tt.errHas)) {
				t.Errorf("error = %v, want %q", err, tt.errHas)
			}
			if tt.errHas != "" && !strings.Contains(stderr.String(), "input line 2: longer than 1000 bytes, skipped") {
				t.Errorf("the long line is not reported:\n%s", stderr.String())
			}
		})
	}
}

// TestStopOnSignal checks that a first signal stops the reading of input
// that has not ended, that every line read is delivered, and that the
// line count printed is exact.
func TestStopOnSignal(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	sigs := make(chan os.Signal, 2)
	ctx, cancel := withInterrupts(context.Background(), sigs)
	defer cancel()
	var stderr syncWriter
	rec := &recorder{}
	h := testHost(&stderr, host.Options{QueueSize: 4}, rec)
	f := newFeeder(h, pr, defaultMaxLine, &stderr)
	done := make(chan error, 1)
	go func() { done <- feedAndShutdown(ctx, h, f, &stderr) }()
	for i := range 100 {
		fmt.Fprintf(pw, "line %d\n", i)
	}
	waitFor(t, "100 lines delivered", func() bool { return len(rec.got()) == 100 })
	sigs <- syscall.SIGTERM
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop on the signal")
	}
	if err != nil {
		t.Errorf("error = %v", err)
	}
	out := stderr.String()
	var read, sent int
	if _, e := fmt.Sscanf(out[strings.Index(out, "input: "):], "input: %d lines read before SIGTERM: %d sent", &read, &sent); e != nil {
		t.Fatalf("no input summary (%v):\n%s", e, out)
	}
	if read != 100 || sent != 100 {
		t.Errorf("read %d, sent %d; want the 100 lines written before the signal", read, sent)
	}
	got := rec.got()
	if len(got) != read {
		t.Fatalf("delivered %d lines, read %d", len(got), read)
	}
	for i, g := range got {
		if want := fmt.Sprintf(`info "line %d" map[]`, i); g != want {
			t.Fatalf("message %d = %s, want %s", i, g, want)
		}
	}
	for _, want := range []string{"SIGTERM: reading no more input", fmt.Sprintf("r0: received %d, delivered %d, failed 0, dropped 0, panics 0, errors 0, lost 0", read, read)} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
}

// TestSecondSignalExitsAtOnce checks that a second signal ends run while a
// plugin still holds messages, and says what was not delivered.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	ctx, cancel := withInterrupts(context.Background(), sigs)
	defer cancel()
	var stderr syncWriter
	rec := &recorder{hold: make(chan struct{})}
	defer close(rec.hold)
	h := testHost(&stderr, host.Options{ShutdownTimeout: time.Hour}, rec)
	pr, pw := io.Pipe()
	defer pw.Close()
	done := make(chan error, 1)
	go func() { done <- feedAndShutdown(ctx, h, newFeeder(h, pr, defaultMaxLine, &stderr), &stderr) }()
	fmt.Fprint(pw, "a\nb\nc\n")
	waitFor(t, "3 lines sent", func() bool { return h.Accepted() == 3 })
	sigs <- os.Interrupt
	waitFor(t, "the first signal handled", func() bool { return strings.Contains(stderr.String(), "reading no more input") })
	sigs <- os.Interrupt
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a second signal did not end run")
	}
	if err == nil || !strings.Contains(err.Error(), "interrupted during shutdown: 3 messages were not delivered") {
		t.Errorf("error = %v", err)
	}
	for _, want := range []string{"signal during shutdown: exiting without waiting", "input: 3 lines read before SIGINT", "r0: received 3, delivered 0, failed 0, dropped 0, panics 0, errors 0, lost 3"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

// waitFor waits until cond holds, failing the test if it takes far too
// long; it guards against hangs, not for speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWithInterrupts(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	ctx, cancel := withInterrupts(context.Background(), sigs)
	defer cancel()
	hard := hardStop(ctx)
	sigs <- syscall.SIGTERM
	<-ctx.Done()
	if cause := context.Cause(ctx); cause == nil || cause.Error() != "SIGTERM" {
		t.Errorf("cause = %v, want SIGTERM", cause)
	}
	select {
	case <-hard:
		t.Fatal("hard stop after one signal")
	default:
	}
	sigs <- os.Interrupt
	select {
	case <-hard:
	case <-time.After(30 * time.Second):
		t.Fatal("no hard stop after a second signal")
	}
	if hardStop(context.Background()) != nil {
		t.Error("hardStop of a plain context is not nil")
	}
}

func TestDeliveryFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    host.Options
		wantErr string
	}{
		{nil, host.Options{QueueSize: host.DefaultQueueSize, StallTimeout: host.DefaultStallTimeout,
			ShutdownTimeout: host.DefaultShutdownTimeout, MaxPanics: host.DefaultMaxPanics}, ""},
		{[]string{"--queue", "8", "--policy", "drop", "--policy", "file=block", "--stall-timeout", "0", "--shutdown-timeout", "2s", "--max-panics", "-1"},
			host.Options{QueueSize: 8, Policy: host.Drop, Policies: map[string]host.Policy{"file": host.Block}, StallTimeout: -1,
				ShutdownTimeout: 2 * time.Second, MaxPanics: -1}, ""},
		{[]string{"--max-panics", "0"}, host.Options{QueueSize: host.DefaultQueueSize, StallTimeout: host.DefaultStallTimeout,
			ShutdownTimeout: host.DefaultShutdownTimeout, MaxPanics: 0}, ""}, // the default, as in Options
		{[]string{"--max-panics", "3"}, host.Options{QueueSize: host.DefaultQueueSize, StallTimeout: host.DefaultStallTimeout,
			ShutdownTimeout: host.DefaultShutdownTimeout, MaxPanics: 3}, ""},
		{[]string{"--policy", "sometimes"}, host.Options{}, `"sometimes": want block, drop, NAME=block or NAME=drop`},
		{[]string{"--policy", "=drop"}, host.Options{}, "plugin name before = is empty"},
		{[]string{"--queue", "0"}, host.Options{}, "--queue 0: want a number of messages above 0"},
		{[]string{"--shutdown-timeout", "0s"}, host.Options{}, "--shutdown-timeout 0s: want a duration above 0"},
		{[]string{"--stall-timeout", "-1s"}, host.Options{}, "--stall-timeout -1s"},
		{[]string{"--max-panics", "-2"}, host.Options{QueueSize: host.DefaultQueueSize, StallTimeout: host.DefaultStallTimeout,
			ShutdownTimeout: host.DefaultShutdownTimeout, MaxPanics: -2}, ""}, // no limit, as in Options
		{[]string{"--max-panics", "abc"}, host.Options{}, `invalid value "abc" for flag -max-panics`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			fs := flag.NewFlagSet("run", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var df deliveryFlags
			df.register(fs)
			err := fs.Parse(tt.args)
			if err == nil {
				err = df.check()
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got host.Options
			df.apply(&got)
			if got.QueueSize != tt.want.QueueSize || got.Policy != tt.want.Policy || !maps.Equal(got.Policies, tt.want.Policies) ||
				got.StallTimeout != tt.want.StallTimeout || got.ShutdownTimeout != tt.want.ShutdownTimeout || got.MaxPanics != tt.want.MaxPanics {
				t.Errorf("options = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestWarnUnknownPolicyNames(t *testing.T) {
	var df deliveryFlags
	for _, v := range []string{"file=drop", "fiel=drop"} {
		if err := df.policies.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	df.warnUnknown(&buf, []host.Status{{Name: "file"}})
	if got, want := buf.String(), "logplug: --policy fiel=drop: no plugin is named \"fiel\"\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
