package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"maps"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/logplug/logplug/api"
	"github.com/logplug/logplug/host/load"
)

// recorder is a plugin that keeps a copy of every message it receives.
type recorder struct {
	mu   sync.Mutex
	msgs []recorded
}

type recorded struct {
	method, msg string
	labels      map[string]string
}

func (r *recorder) add(method, msg string, labels map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, recorded{method, msg, maps.Clone(labels)})
}

func (r *recorder) Log(msg string, labels map[string]string)   { r.add("log", msg, labels) }
func (r *recorder) Debug(msg string, labels map[string]string) { r.add("debug", msg, labels) }
func (r *recorder) Info(msg string, labels map[string]string)  { r.add("info", msg, labels) }
func (r *recorder) Warn(msg string, labels map[string]string)  { r.add("warn", msg, labels) }
func (r *recorder) Error(msg string, labels map[string]string) { r.add("error", msg, labels) }

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.msgs...)
}

// only returns the one message r received, failing the test otherwise.
func (r *recorder) only(t *testing.T) recorded {
	t.Helper()
	msgs := r.all()
	if len(msgs) != 1 {
		t.Fatalf("plugin received %d messages, want 1: %v", len(msgs), msgs)
	}
	return msgs[0]
}

// newRecordingHandler returns a handler over a host with one recorder.
func newRecordingHandler(t testing.TB, opts *HandlerOptions) (*Handler, *recorder) {
	t.Helper()
	rec := &recorder{}
	h := New(Options{Synchronous: true, ErrorLog: log.New(io.Discard, "", 0)}, &Plugin{Path: "rec.so", Name: "rec", Logger: rec})
	return NewHandler(h, opts), rec
}

// asSlogtestResult turns what a plugin received back into the shape
// slogtest wants: "level" from the method called, "msg" from the message,
// and the labels, whose dotted keys become nested maps, one per group.
func asSlogtestResult(t *testing.T, m recorded) map[string]any {
	t.Helper()
	out := map[string]any{slog.LevelKey: m.method, slog.MessageKey: m.msg}
	for k, v := range m.labels {
		if k == slog.TimeKey {
			tm, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				t.Fatalf("time label %q is not RFC 3339: %v", v, err)
			}
			out[k] = tm
			continue
		}
		parts := strings.Split(k, ".")
		group := out
		for _, g := range parts[:len(parts)-1] {
			sub, ok := group[g].(map[string]any)
			if !ok {
				if _, taken := group[g]; taken {
					t.Fatalf("label %q: %q is both a value and a group", k, g)
				}
				sub = map[string]any{}
				group[g] = sub
			}
			group = sub
		}
		group[parts[len(parts)-1]] = v
	}
	return out
}

func TestHandlerSlogtest(t *testing.T) {
	identity := func(_ []string, a slog.Attr) slog.Attr { return a }
	for _, tt := range []struct {
		name string
		opts *HandlerOptions
	}{
		{"default", nil},
		{"AddSource", &HandlerOptions{AddSource: true}},
		{"ReplaceAttr", &HandlerOptions{ReplaceAttr: identity}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var rec *recorder
			slogtest.Run(t,
				func(t *testing.T) slog.Handler {
					var h *Handler
					h, rec = newRecordingHandler(t, tt.opts)
					return h
				},
				func(t *testing.T) map[string]any {
					return asSlogtestResult(t, rec.only(t))
				})
		})
	}
}

func TestHandlerLevels(t *testing.T) {
	tests := []struct {
		level      slog.Level
		method     string
		levelLabel string // "" for none
	}{
		{slog.LevelDebug - 4, "log", "DEBUG-4"},
		{slog.LevelDebug - 1, "log", "DEBUG-1"},
		{slog.LevelDebug, "debug", ""},
		{slog.LevelDebug + 3, "debug", "DEBUG+3"},
		{slog.LevelInfo, "info", ""},
		{slog.LevelInfo + 2, "info", "INFO+2"},
		{slog.LevelWarn, "warn", ""},
		{slog.LevelError, "error", ""},
		{slog.LevelError + 4, "error", "ERROR+4"},
	}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			h, rec := newRecordingHandler(t, &HandlerOptions{Level: slog.Level(-100)})
			slog.New(h).Log(context.Background(), tt.level, "m")
			got := rec.only(t)
			if got.method != tt.method {
				t.Errorf("sent to %s, want %s", got.method, tt.method)
			}
			label, ok := got.labels[slog.LevelKey]
			if tt.levelLabel == "" && ok {
				t.Errorf("level label %q, want none", label)
			}
			if tt.levelLabel != "" && label != tt.levelLabel {
				t.Errorf("level label %q, want %q", label, tt.levelLabel)
			}
		})
	}
}

// noDebugError is a plugin with the three required methods only.
type noDebugError struct{ rec *recorder }

func (p noDebugError) Log(msg string, l map[string]string)  { p.rec.add("log", msg, l) }
func (p noDebugError) Info(msg string, l map[string]string) { p.rec.add("info", msg, l) }
func (p noDebugError) Warn(msg string, l map[string]string) { p.rec.add("warn", msg, l) }

func TestHandlerLevelFallbacks(t *testing.T) {
	rec := &recorder{}
	h := New(Options{Synchronous: true}, &Plugin{Name: "min", Logger: noDebugError{rec}})
	l := slog.New(NewHandler(h, &HandlerOptions{Level: slog.LevelDebug}))
	l.Debug("d")
	l.Error("e")
	var got []string
	for _, m := range rec.all() {
		got = append(got, m.method+":"+m.msg)
	}
	if want := "log:d warn:e"; strings.Join(got, " ") != want {
		t.Errorf("got %s, want %s", strings.Join(got, " "), want)
	}
}

func TestSlogLevel(t *testing.T) {
	tests := []struct {
		in   slog.Level
		want api.Level
	}{
		{-100, api.LevelLog},
		{slog.LevelDebug - 1, api.LevelLog},
		{slog.LevelDebug, api.LevelDebug},
		{slog.LevelInfo - 1, api.LevelDebug},
		{slog.LevelInfo, api.LevelInfo},
		{slog.LevelWarn - 1, api.LevelInfo},
		{slog.LevelWarn, api.LevelWarn},
		{slog.LevelError - 1, api.LevelWarn},
		{slog.LevelError, api.LevelError},
		{100, api.LevelError},
	}
	for _, tt := range tests {
		if got := SlogLevel(tt.in); got != tt.want {
			t.Errorf("SlogLevel(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestHandlerEnabled(t *testing.T) {
	var lv slog.LevelVar
	lv.Set(slog.LevelWarn)
	tests := []struct {
		name    string
		opts    *HandlerOptions
		enabled map[slog.Level]bool
	}{
		{"nil options: info", nil, map[slog.Level]bool{
			slog.LevelDebug: false, slog.LevelInfo - 1: false, slog.LevelInfo: true, slog.LevelError: true}},
		{"zero options: info", &HandlerOptions{}, map[slog.Level]bool{
			slog.LevelDebug: false, slog.LevelInfo: true}},
		{"debug", &HandlerOptions{Level: slog.LevelDebug}, map[slog.Level]bool{
			slog.LevelDebug - 1: false, slog.LevelDebug: true, slog.LevelInfo: true}},
		{"LevelVar", &HandlerOptions{Level: &lv}, map[slog.Level]bool{
			slog.LevelInfo: false, slog.LevelWarn: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec := newRecordingHandler(t, tt.opts)
			l := slog.New(h)
			want := 0
			for level, enabled := range tt.enabled {
				if got := h.Enabled(context.Background(), level); got != enabled {
					t.Errorf("Enabled(%v) = %v, want %v", level, got, enabled)
				}
				l.Log(context.Background(), level, "m")
				if enabled {
					want++
				}
			}
			if got := len(rec.all()); got != want {
				t.Errorf("plugin received %d messages, want %d", got, want)
			}
		})
	}
	t.Run("LevelVar changes", func(t *testing.T) {
		h, _ := newRecordingHandler(t, &HandlerOptions{Level: &lv})
		lv.Set(slog.LevelDebug)
		if !h.Enabled(context.Background(), slog.LevelDebug) {
			t.Error("debug not enabled after the LevelVar was set to debug")
		}
	})
}

type textValue struct{}

func (textValue) MarshalText() ([]byte, error) { return []byte("as text"), nil }

type badText struct{}

func (badText) MarshalText() ([]byte, error) { return nil, errors.New("no text") }

type stringer struct{}

func (stringer) String() string { return "as string" }

type panicky struct{}

func (panicky) String() string { panic("oops") }

type myErr struct{ msg string }

func (e *myErr) Error() string { return e.msg }

type panickyErr struct{}

func (panickyErr) Error() string { panic("oops") }

type userValuer struct{ id int }

func (u userValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("id", u.id), slog.String("name", "ann"))
}

type secret string

func (secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

func TestHandlerValues(t *testing.T) {
	zone := time.FixedZone("", 2*60*60)
	var nilErr *myErr
	tests := []struct {
		name string
		attr slog.Attr
		want map[string]string
	}{
		{"string", slog.String("k", "v w"), map[string]string{"k": "v w"}},
		{"empty string", slog.String("k", ""), map[string]string{"k": ""}},
		{"int", slog.Int("k", -42), map[string]string{"k": "-42"}},
		{"int64", slog.Int64("k", 1<<40), map[string]string{"k": "1099511627776"}},
		{"uint64", slog.Uint64("k", 1<<63), map[string]string{"k": "9223372036854775808"}},
		{"float", slog.Float64("k", 1.5), map[string]string{"k": "1.5"}},
		{"large float", slog.Float64("k", 1e21), map[string]string{"k": "1e+21"}},
		{"bool", slog.Bool("k", true), map[string]string{"k": "true"}},
		{"duration", slog.Duration("k", 1500*time.Millisecond), map[string]string{"k": "1.5s"}},
		{"time with nanoseconds", slog.Time("k", time.Date(2024, 5, 6, 7, 8, 9, 123456789, zone)),
			map[string]string{"k": "2024-05-06T07:08:09.123456789+02:00"}},
		{"time UTC", slog.Time("k", time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)),
			map[string]string{"k": "2024-05-06T07:08:09Z"}},
		{"error", slog.Any("err", errors.New("disk full")), map[string]string{"err": "disk full"}},
		{"wrapped error", slog.Any("err", fmt.Errorf("save: %w", io.ErrShortWrite)), map[string]string{"err": "save: short write"}},
		{"nil error pointer", slog.Any("err", error(nilErr)), map[string]string{"err": "<nil>"}},
		{"nil", slog.Any("k", nil), map[string]string{"k": "<nil>"}},
		{"TextMarshaler", slog.Any("ip", netip.MustParseAddr("10.0.0.1")), map[string]string{"ip": "10.0.0.1"}},
		{"TextMarshaler error", slog.Any("k", badText{}), map[string]string{"k": "!ERROR: no text"}},
		{"own TextMarshaler", slog.Any("k", textValue{}), map[string]string{"k": "as text"}},
		{"bytes", slog.Any("k", []byte("raw")), map[string]string{"k": "raw"}},
		{"Stringer", slog.Any("k", stringer{}), map[string]string{"k": "as string"}},
		{"panicking String", slog.Any("k", panicky{}), map[string]string{"k": "%!v(PANIC=String method: oops)"}},
		{"panicking Error", slog.Any("k", panickyErr{}), map[string]string{"k": "!PANIC: oops"}},
		{"error pointer", slog.Any("err", &myErr{"mine"}), map[string]string{"err": "mine"}},
		{"struct", slog.Any("k", struct {
			A int
			B string
		}{1, "x"}), map[string]string{"k": "{A:1 B:x}"}},
		{"slice", slog.Any("k", []int{1, 2}), map[string]string{"k": "[1 2]"}},
		{"slog.Level", slog.Any("k", slog.LevelWarn), map[string]string{"k": "WARN"}},
		{"LogValuer", slog.Any("pw", secret("hunter2")), map[string]string{"pw": "REDACTED"}},
		{"LogValuer to group", slog.Any("user", userValuer{7}), map[string]string{"user.id": "7", "user.name": "ann"}},
		{"group", slog.Group("req", "method", "GET", slog.Group("url", "path", "/x")),
			map[string]string{"req.method": "GET", "req.url.path": "/x"}},
		{"inline group", slog.Group("", "a", 1, "b", 2), map[string]string{"a": "1", "b": "2"}},
		{"empty group", slog.Group("g"), map[string]string{}},
		{"empty attr", slog.Attr{}, map[string]string{}},
		{"empty key", slog.String("", "v"), map[string]string{"": "v"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rec := newRecordingHandler(t, nil)
			r := slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0)
			r.AddAttrs(tt.attr)
			if err := h.Handle(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			if got := rec.only(t).labels; !maps.Equal(got, tt.want) {
				t.Errorf("labels %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHandlerAttrsAndGroups(t *testing.T) {
	base, rec := newRecordingHandler(t, nil)
	l := slog.New(base)
	tests := []struct {
		name string
		log  func()
		want map[string]string
	}{
		{"WithGroup prefixes record attrs",
			func() { l.WithGroup("http").Info("m", slog.Group("req", "method", "GET"), "status", 200) },
			map[string]string{"http.req.method": "GET", "http.status": "200"}},
		{"WithAttrs before and after WithGroup",
			func() { l.With("app", "shop").WithGroup("http").With("id", 7).WithGroup("req").Info("m", "path", "/") },
			map[string]string{"app": "shop", "http.id": "7", "http.req.path": "/"}},
		{"group without attributes leaves nothing",
			func() { l.With("a", "b").WithGroup("G").WithGroup("H").Info("m") },
			map[string]string{"a": "b"}},
		{"WithGroup of an empty name",
			func() { l.WithGroup("").Info("m", "a", "b") },
			map[string]string{"a": "b"}},
		{"later label wins",
			func() { l.With("k", "from With").Info("m", "k", "from record", "k", "last") },
			map[string]string{"k": "last"}},
		{"record attr replaces With attr",
			func() { l.With("k", "from With").Info("m", "k", "from record") },
			map[string]string{"k": "from record"}},
		{"dotted key from an attribute",
			func() { l.Info("m", "a.b", "c") },
			map[string]string{"a.b": "c"}},
		{"many attrs",
			func() {
				l.Info("m", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6, "g", 7, slog.Group("h", "i", 8))
			},
			map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6", "g": "7", "h.i": "8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.msgs = nil
			tt.log()
			got := rec.only(t).labels
			if _, ok := got[slog.TimeKey]; !ok {
				t.Errorf("no time label in %v", got)
			}
			delete(got, slog.TimeKey)
			if !maps.Equal(got, tt.want) {
				t.Errorf("labels %v, want %v", got, tt.want)
			}
		})
	}
}

// TestHandlerWithAttrsDoesNotShare checks that handlers derived from one
// parent do not see each other's attributes or groups.
func TestHandlerWithAttrsDoesNotShare(t *testing.T) {
	base, rec := newRecordingHandler(t, &HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})
	parent := slog.New(base).With("p", 1).WithGroup("g")
	a := parent.With("a", 1)
	b := parent.With("b", 2)
	a2 := a.WithGroup("x")
	b2 := b.WithGroup("y")
	a2.Info("m", "k", 1)
	b2.Info("m", "k", 2)
	a.Info("m")
	want := []map[string]string{
		{"p": "1", "g.a": "1", "g.x.k": "1"},
		{"p": "1", "g.b": "2", "g.y.k": "2"},
		{"p": "1", "g.a": "1"},
	}
	got := rec.all()
	if len(got) != len(want) {
		t.Fatalf("got %d messages, want %d", len(got), len(want))
	}
	for i := range want {
		if !maps.Equal(got[i].labels, want[i]) {
			t.Errorf("message %d: labels %v, want %v", i, got[i].labels, want[i])
		}
	}
}

func TestHandlerTime(t *testing.T) {
	h, rec := newRecordingHandler(t, nil)
	when := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	r := slog.NewRecord(when, slog.LevelInfo, "m", 0)
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.only(t).labels[slog.TimeKey], "2025-01-02T03:04:05.000000006Z"; got != want {
		t.Errorf("time label %q, want %q", got, want)
	}
}

func TestHandlerAddSource(t *testing.T) {
	h, rec := newRecordingHandler(t, &HandlerOptions{AddSource: true})
	_, file, line, _ := runtime.Caller(0)
	slog.New(h).Info("m") // must stay on the line after runtime.Caller
	want := fmt.Sprintf("%s:%d", file, line+1)
	if got := rec.only(t).labels[slog.SourceKey]; got != want {
		t.Errorf("source label %q, want %q", got, want)
	}
}

func TestHandlerReplaceAttr(t *testing.T) {
	var calls []string
	opts := &HandlerOptions{
		Level: slog.LevelDebug - 4,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			calls = append(calls, strings.Join(append(append([]string(nil), groups...), a.Key), "."))
			switch a.Key {
			case slog.TimeKey:
				return slog.Attr{} // dropped
			case "password":
				return slog.String(a.Key, "***")
			case "rename":
				return slog.Int("renamed", 1)
			case "expand":
				return slog.Group("x", "y", "z")
			case slog.LevelKey:
				return slog.String(a.Key, strings.ToLower(a.Value.String()))
			}
			return a
		},
	}
	h, rec := newRecordingHandler(t, opts)
	slog.New(h).With("password", "hunter2").WithGroup("g").Log(context.Background(), slog.LevelDebug-4, "m",
		"rename", "v", slog.Group("sub", "password", "p2", "expand", true))
	got := rec.only(t).labels
	want := map[string]string{
		"level":          "debug-4",
		"password":       "***",
		"g.renamed":      "1",
		"g.sub.password": "***",
		"g.sub.x.y":      "z",
	}
	if !maps.Equal(got, want) {
		t.Errorf("labels %v, want %v", got, want)
	}
	// The groups passed are those that contain the attribute; the built-in
	// labels are outside every group.
	wantCalls := "password time level g.rename g.sub.password g.sub.expand g.sub.x.y"
	if strings.Join(calls, " ") != wantCalls {
		t.Errorf("ReplaceAttr called with %s\nwant %s", strings.Join(calls, " "), wantCalls)
	}
}

// keeper is a plugin that keeps the label strings it receives, as a
// plugin that buffers messages would; it copies the map, as it must.
type keeper struct {
	mu   sync.Mutex
	kept []map[string]string
}

func (k *keeper) keep(labels map[string]string) {
	k.mu.Lock()
	k.kept = append(k.kept, maps.Clone(labels))
	k.mu.Unlock()
}
func (k *keeper) Log(_ string, l map[string]string)  { k.keep(l) }
func (k *keeper) Info(_ string, l map[string]string) { k.keep(l) }
func (k *keeper) Warn(_ string, l map[string]string) { k.keep(l) }

// TestHandlerLabelStringsStayValid checks that the strings a plugin keeps
// from one message are not changed by the pooling of later messages.
func TestHandlerLabelStringsStayValid(t *testing.T) {
	k := &keeper{}
	l := slog.New(NewHandler(New(Options{Synchronous: true}, &Plugin{Name: "keeper", Logger: k}), nil)).WithGroup("g")
	const n = 200
	for i := range n {
		l.Info("m", "i", i, "d", time.Duration(i)*time.Millisecond)
	}
	if len(k.kept) != n {
		t.Fatalf("kept %d messages, want %d", len(k.kept), n)
	}
	for i, labels := range k.kept {
		if got, want := labels["g.i"], fmt.Sprint(i); got != want {
			t.Fatalf("message %d: g.i = %q, want %q", i, got, want)
		}
		if got, want := labels["g.d"], (time.Duration(i) * time.Millisecond).String(); got != want {
			t.Fatalf("message %d: g.d = %q, want %q", i, got, want)
		}
	}
}

func TestHandlerConcurrent(t *testing.T) {
	h, rec := newRecordingHandler(t, nil)
	l := slog.New(h).With("shared", "yes")
	const workers, each = 4, 100
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			wl := l.WithGroup(fmt.Sprint("w", w))
			for i := range each {
				wl.Info("m", "i", i)
			}
		})
	}
	wg.Wait()
	msgs := rec.all()
	if len(msgs) != workers*each {
		t.Fatalf("got %d messages, want %d", len(msgs), workers*each)
	}
	next := map[string]int{}
	for _, m := range msgs {
		if m.labels["shared"] != "yes" || len(m.labels) != 3 {
			t.Fatalf("labels %v: want time, shared and one wN.i", m.labels)
		}
		for k, v := range m.labels {
			if w, ok := strings.CutSuffix(k, ".i"); ok {
				if v != fmt.Sprint(next[w]) {
					t.Fatalf("%s = %s, want %d (messages out of order)", k, v, next[w])
				}
				next[w]++
			}
		}
	}
}

func TestHandlerAfterClose(t *testing.T) {
	h, rec := newRecordingHandler(t, nil)
	if err := h.host.Close(); err != nil {
		t.Fatal(err)
	}
	slog.New(h).Info("after close", "k", "v")
	if n := len(rec.all()); n != 0 {
		t.Errorf("plugin received %d messages after Close", n)
	}
}

func TestNewHandlerNilHost(t *testing.T) {
	defer func() {
		if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), "nil *Host") {
			t.Errorf("recovered %v, want a panic naming the nil *Host", v)
		}
	}()
	NewHandler(nil, nil)
}

// discard is a plugin that does nothing, for benchmarks.
type discard struct{}

func (discard) Log(string, map[string]string)  {}
func (discard) Info(string, map[string]string) {}
func (discard) Warn(string, map[string]string) {}

func benchmarkLoggers(b *testing.B) map[string]*slog.Logger {
	h := New(Options{}, &Plugin{Name: "discard", Logger: discard{}})
	return map[string]*slog.Logger{
		"logplug":            slog.New(NewHandler(h, nil)),
		"slog.JSON":          slog.New(slog.NewJSONHandler(io.Discard, nil)),
		"slog.Text":          slog.New(slog.NewTextHandler(io.Discard, nil)),
		"logplug/With+Group": slog.New(NewHandler(h, nil)).With("app", "shop", "pid", 1234).WithGroup("req"),
	}
}

// BenchmarkHandler measures a record's cost through the handler to a
// plugin that does nothing, beside slog's own handlers writing to
// io.Discard.
func BenchmarkHandler(b *testing.B) {
	ctx := context.Background()
	err := errors.New("disk full")
	cases := []struct {
		name string
		log  func(*slog.Logger)
	}{
		{"message", func(l *slog.Logger) { l.Info("request served") }},
		{"5 attrs", func(l *slog.Logger) {
			l.LogAttrs(ctx, slog.LevelInfo, "request served",
				slog.String("method", "GET"), slog.String("path", "/search"), slog.Int("status", 200),
				slog.Duration("took", 1234*time.Microsecond), slog.Bool("cached", false))
		}},
		{"10 attrs and a group", func(l *slog.Logger) {
			l.LogAttrs(ctx, slog.LevelWarn, "request failed",
				slog.String("method", "GET"), slog.String("path", "/search"), slog.Int("status", 500),
				slog.Duration("took", 1234*time.Microsecond), slog.Bool("cached", false), slog.Any("err", err),
				slog.Float64("load", 0.75), slog.Int64("bytes", 123456), slog.String("user", "ann"),
				slog.Group("client", slog.String("ip", "10.0.0.1"), slog.Int("port", 51234)))
		}},
	}
	loggers := benchmarkLoggers(b)
	for _, c := range cases {
		for _, name := range []string{"logplug", "logplug/With+Group", "slog.JSON", "slog.Text"} {
			b.Run(c.name+"/"+name, func(b *testing.B) {
				l := loggers[name]
				b.ReportAllocs()
				for b.Loop() {
					c.log(l)
				}
			})
		}
	}
}

// BenchmarkHandlerParallel measures the handler from several goroutines
// at once, where the pool of label maps is shared.
func BenchmarkHandlerParallel(b *testing.B) {
	l := benchmarkLoggers(b)["logplug"]
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Info("request served", "method", "GET", "status", 200)
		}
	})
}

// panicker is a plugin whose every method panics.
type panicker struct{}

func (panicker) Log(string, map[string]string)  { panic("boom") }
func (panicker) Info(string, map[string]string) { panic("boom") }
func (panicker) Warn(string, map[string]string) { panic("boom") }

// TestHandlerAsSlogDefaultWithPanickingPlugin checks the one-line setup,
// slog.SetDefault over a Host with the default ErrorLog: the Host's report
// of a plugin's panic must go to standard error, not through the log
// package's standard logger (which slog.SetDefault routes to the handler,
// and so back into the Host while it holds the plugin).
func TestHandlerAsSlogDefaultWithPanickingPlugin(t *testing.T) {
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	oldStderr, oldSlog, oldOut, oldFlags := os.Stderr, slog.Default(), log.Writer(), log.Flags()
	os.Stderr = stderr
	h := New(Options{Synchronous: true, MaxPanics: 2}, &Plugin{Path: "p.so", Name: "p", Logger: panicker{}})
	os.Stderr = oldStderr
	slog.SetDefault(slog.New(NewHandler(h, nil)))

	done := make(chan struct{})
	go func() {
		defer close(done)
		slog.Info("one")
		log.Print("two") // through slog's default handler too
		slog.Info("three")
	}()
	select {
	case <-done:
		slog.SetDefault(oldSlog)
		log.SetOutput(oldOut)
		log.SetFlags(oldFlags)
	case <-time.After(10 * time.Second):
		// The logging goroutine holds the log package's lock, which
		// restoring the log package's output would wait for: stop the
		// test binary here.
		panic("deadlock: logging through slog's default logger to a panicking plugin did not return")
	}
	if got := h.Plugins()[0].Counts; got.Panics != 2 || got.Dropped != 1 {
		t.Errorf("counts %+v, want 2 panics, then quarantine and 1 dropped", got)
	}
	report, err := os.ReadFile(stderr.Name())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"plugin p panicked in Info: boom", "plugin p quarantined after 2 panics"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("standard error lacks %q:\n%s", want, report)
		}
	}
}

// TestHandlerEnabledAsksThePlugins checks that NewHandler's Enabled is true
// for a level only if some plugin wants it: every level for a plugin of the
// methods shape, and for a slog.Handler plugin the levels it is enabled for.
func TestHandlerEnabledAsksThePlugins(t *testing.T) {
	warnHandler := load.FromHandler(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	tests := []struct {
		name        string
		loggers     []api.Logger
		info, error bool
	}{
		{"no plugin", nil, false, false},
		{"a handler from warn", []api.Logger{warnHandler}, false, true},
		{"a handler from warn and a plugin of the methods shape", []api.Logger{warnHandler, &recorder{}}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var plugins []*Plugin
			for i, l := range tt.loggers {
				plugins = append(plugins, &Plugin{Path: fmt.Sprintf("p%d.so", i), Name: fmt.Sprintf("p%d", i), Logger: l})
			}
			h := New(Options{ErrorLog: log.New(io.Discard, "", 0)}, plugins...)
			defer h.Close()
			sh := NewHandler(h, nil)
			ctx := context.Background()
			if got := sh.Enabled(ctx, slog.LevelInfo); got != tt.info {
				t.Errorf("Enabled(info) = %v, want %v", got, tt.info)
			}
			if got := sh.Enabled(ctx, slog.LevelError); got != tt.error {
				t.Errorf("Enabled(error) = %v, want %v", got, tt.error)
			}
		})
	}
}
