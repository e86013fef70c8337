package host

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// fakeLogger records calls and can be told to panic or fail.
type fakeLogger struct {
	mu       sync.Mutex
	calls    []string
	panicOn  string // method name that panics
	flushErr error
	closeErr error
	settings map[string]string
	confErr  error
}

func (f *fakeLogger) record(method, msg string) {
	f.mu.Lock()
	f.calls = append(f.calls, method+":"+msg)
	f.mu.Unlock()
	if method == f.panicOn {
		panic("boom in " + method)
	}
}

func (f *fakeLogger) Log(msg string, _ map[string]string)  { f.record("Log", msg) }
func (f *fakeLogger) Info(msg string, _ map[string]string) { f.record("Info", msg) }
func (f *fakeLogger) Warn(msg string, _ map[string]string) { f.record("Warn", msg) }
func (f *fakeLogger) Flush() error                         { f.record("Flush", ""); return f.flushErr }
func (f *fakeLogger) Close() error                         { f.record("Close", ""); return f.closeErr }
func (f *fakeLogger) Configure(s map[string]string) error {
	f.settings = s
	return f.confErr
}

func (f *fakeLogger) got() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, " ")
}

func newTestHost(t *testing.T, opts Options, loggers ...*fakeLogger) (*Host, *bytes.Buffer) {
	t.Helper()
	var logBuf bytes.Buffer
	opts.ErrorLog = log.New(&logBuf, "", 0)
	var plugins []*Plugin
	for i, l := range loggers {
		plugins = append(plugins, &Plugin{Path: fmt.Sprintf("p%d.so", i), Name: fmt.Sprintf("p%d", i), Logger: l})
	}
	return New(opts, plugins...), &logBuf
}

// deliveryModes are the two ways a Host delivers, for tests that must hold
// for both.
var deliveryModes = []struct {
	name string
	opts Options
}{
	{"queued", Options{}},
	{"synchronous", Options{Synchronous: true}},
}

// inModes runs f as a subtest for each delivery mode.
func inModes(t *testing.T, f func(t *testing.T, opts Options)) {
	for _, m := range deliveryModes {
		t.Run(m.name, func(t *testing.T) { f(t, m.opts) })
	}
}

func TestSendReachesEveryPluginInOrder(t *testing.T) { inModes(t, testSendReachesEveryPluginInOrder) }

func testSendReachesEveryPluginInOrder(t *testing.T, opts Options) {
	a, b := &fakeLogger{}, &fakeLogger{}
	h, _ := newTestHost(t, opts, a, b)
	h.Info("1", nil)
	h.Warn("2", nil)
	h.Debug("3", nil)
	h.Error("4", nil)
	h.Log("5", nil)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	want := "Info:1 Warn:2 Log:3 Warn:4 Log:5 Flush: Close:"
	for i, l := range []*fakeLogger{a, b} {
		if got := l.got(); got != want {
			t.Errorf("plugin %d got %s\nwant %s", i, got, want)
		}
	}
	for _, st := range h.Plugins() {
		if st.Counts != (Counts{Received: 5, Delivered: 5}) {
			t.Errorf("%s counts = %+v", st.Name, st.Counts)
		}
	}
	h.Info("after close", nil)
	if got := a.got(); got != want {
		t.Errorf("a message after Close was delivered: %s", got)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestPanicsAreRecoveredCountedAndQuarantined(t *testing.T) {
	inModes(t, testPanicsAreRecoveredCountedAndQuarantined)
}

func testPanicsAreRecoveredCountedAndQuarantined(t *testing.T, opts Options) {
	bad, good := &fakeLogger{panicOn: "Info"}, &fakeLogger{}
	opts.MaxPanics = 3
	h, logBuf := newTestHost(t, opts, bad, good)
	for i := range 5 {
		h.Info(fmt.Sprint(i), nil)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := bad.got(), "Info:0 Info:1 Info:2"; got != want {
		t.Errorf("quarantined plugin got %s, want %s (and no Flush or Close)", got, want)
	}
	st := h.Plugins()
	if want := (Counts{Received: 5, Delivered: 0, Dropped: 2, Panics: 3}); st[0].Counts != want {
		t.Errorf("bad plugin counts = %+v, want %+v", st[0].Counts, want)
	}
	if !errors.Is(st[0].Err, ErrQuarantined) || st[0].Loaded() != true {
		t.Errorf("bad plugin status err = %v, loaded %v", st[0].Err, st[0].Loaded())
	}
	if st[1].Counts.Delivered != 5 || st[1].Err != nil {
		t.Errorf("good plugin = %+v", st[1])
	}
	logs := logBuf.String()
	if strings.Count(logs, "panicked") != 1 || !strings.Contains(logs, "p0 panicked in Info: boom in Info") || !strings.Contains(logs, "quarantined after 3 panics") {
		t.Errorf("error log:\n%s", logs)
	}
}

func TestCloseJoinsErrorsAndClosesEveryPlugin(t *testing.T) {
	inModes(t, testCloseJoinsErrorsAndClosesEveryPlugin)
}

func testCloseJoinsErrorsAndClosesEveryPlugin(t *testing.T, opts Options) {
	a := &fakeLogger{flushErr: errors.New("disk gone")}
	b := &fakeLogger{panicOn: "Close"}
	c := &fakeLogger{closeErr: errors.New("already closed")}
	h, _ := newTestHost(t, opts, a, b, c)
	err := h.Close()
	for _, want := range []string{"p0: Flush: disk gone", "p1: Close panicked: boom in Close", "p2: Close: already closed"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Close error %v lacks %q", err, want)
		}
	}
	for i, l := range []*fakeLogger{a, b, c} {
		if got := l.got(); got != "Flush: Close:" {
			t.Errorf("plugin %d calls = %s", i, got)
		}
	}
	if n := h.Plugins()[0].Counts.Errors; n != 1 {
		t.Errorf("errors counted = %d, want 1", n)
	}
}

func TestSettingsReachConfigure(t *testing.T) {
	a, b := &fakeLogger{}, &fakeLogger{confErr: errors.New(`setting color="x": unknown key`)}
	h, logBuf := newTestHost(t, Options{Settings: map[string]map[string]string{
		"p0": {"level": "warn"},
		"p1": {"color": "x"},
	}}, a, b)
	if a.settings["level"] != "warn" {
		t.Errorf("p0 settings = %v", a.settings)
	}
	if h.Loaded() != 1 {
		t.Fatalf("Loaded() = %d, want 1", h.Loaded())
	}
	st := h.Plugins()[1]
	if st.Loaded() || !strings.Contains(st.Err.Error(), `p1.so: configure p1: setting color="x": unknown key`) {
		t.Errorf("p1 status = %v", st.Err)
	}
	if !strings.Contains(logBuf.String(), "configure p1") {
		t.Errorf("configure failure not logged: %s", logBuf.String())
	}
	h.Info("m", nil)
	if b.got() != "" {
		t.Errorf("a plugin that failed to configure got %s", b.got())
	}
}

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.so", "a.so", "notes.txt", "c.so.bak"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "d.so"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, filepath.Base(p))
	}
	if want := []string{"a.so", "b.so", "d.so"}; !reflect.DeepEqual(names, want) {
		t.Errorf("Discover = %v, want %v", names, want)
	}
	if _, err := Discover(filepath.Join(dir, "missing")); err == nil {
		t.Error("Discover of a missing folder succeeded")
	}
}

func TestOpenReportsFilesThatAreNotPlugins(t *testing.T) {
	dir := privateDir(t)
	if err := os.WriteFile(filepath.Join(dir, "junk.so"), []byte("not a plugin"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	h, err := Open(Options{Dir: dir, ErrorLog: log.New(&logBuf, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	st := h.Plugins()
	if len(st) != 1 || st[0].Loaded() || st[0].Name != "junk" {
		t.Fatalf("statuses = %+v", st)
	}
	var le *LoadError
	if !errors.As(st[0].Err, &le) || le.Path != filepath.Join(dir, "junk.so") {
		t.Errorf("error %v is not a *LoadError naming the file", st[0].Err)
	}
	if !strings.Contains(logBuf.String(), "junk.so") {
		t.Errorf("error log: %q", logBuf.String())
	}
	// A second load of the same file gives the same answer. (It was never
	// opened: the checks refused it, and are made again, so that a file
	// fixed since loads.)
	if _, err2 := Load(filepath.Join(dir, "junk.so")); err2 == nil || err2.Error() != st[0].Err.Error() {
		t.Errorf("second Load = %v, want the first error %v", err2, st[0].Err)
	}
}

// privateDir returns a new temporary folder, as a real path, with mode
// 0700 whatever the umask (t.TempDir's folders are group-writable under a
// umask of 002, and the trust checks refuse what lies in them).
func privateDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}
