package host

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"maps"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logplug/logplug/api"
)

// probe is a logger that records what it gets and can be made to wait.
type probe struct {
	mu     sync.Mutex
	msgs   []string
	labels []map[string]string // copies, as each call saw them
	nils   int                 // calls whose labels were nil

	// hold, if set, is received from before each message call returns.
	hold chan struct{}
	// holdFlush, if set, is received from before Flush returns.
	holdFlush chan struct{}
	// mutate makes each call change the map it is given.
	mutate bool
	// got, if set, receives each message once it is recorded.
	got chan string
}

func (p *probe) record(msg string, labels map[string]string) { p.note(msg, labels, p.hold) }

func (p *probe) note(msg string, labels map[string]string, hold chan struct{}) {
	p.mu.Lock()
	p.msgs = append(p.msgs, msg)
	p.labels = append(p.labels, maps.Clone(labels))
	if labels == nil {
		p.nils++
	}
	p.mu.Unlock()
	if p.mutate && labels != nil {
		labels["mutated"] = "yes"
		for k := range labels {
			if k != "mutated" {
				delete(labels, k)
			}
		}
	}
	if p.got != nil {
		p.got <- msg
	}
	if hold != nil {
		<-hold
	}
}

func (p *probe) Log(msg string, l map[string]string)  { p.record(msg, l) }
func (p *probe) Info(msg string, l map[string]string) { p.record(msg, l) }
func (p *probe) Warn(msg string, l map[string]string) { p.record(msg, l) }
func (p *probe) Flush() error {
	p.note("Flush", nil, p.holdFlush)
	return nil
}

func (p *probe) messages() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.msgs...)
}

func newProbeHost(t *testing.T, opts Options, loggers ...api.Logger) (*Host, *syncBuffer) {
	t.Helper()
	logBuf := &syncBuffer{}
	opts.ErrorLog = log.New(logBuf, "", 0)
	var plugins []*Plugin
	for i, l := range loggers {
		plugins = append(plugins, &Plugin{Path: fmt.Sprintf("p%d.so", i), Name: fmt.Sprintf("p%d", i), Logger: l})
	}
	return New(opts, plugins...), logBuf
}

// syncBuffer is a bytes.Buffer safe for the host's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// within fails the test if f does not return within a generous time; it
// guards against hangs, not for speed.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not return", what)
	}
}

func numbered(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(i)
	}
	return out
}

func TestSlowPluginDelaysNeitherCallerNorOthers(t *testing.T) {
	slow := &probe{hold: make(chan struct{})}
	fast := &probe{got: make(chan string, 100)}
	h, _ := newProbeHost(t, Options{QueueSize: 100}, slow, fast)
	within(t, "Send to a plugin that is not taking messages", func() {
		for i := range 50 {
			h.Info(fmt.Sprint(i), nil)
		}
	})
	for i := range 50 {
		select {
		case m := <-fast.got:
			if m != fmt.Sprint(i) {
				t.Fatalf("fast plugin got %q, want %d", m, i)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("fast plugin got only %d messages while the slow one was held", i)
		}
	}
	close(slow.hold)
	within(t, "Close", func() { h.Close() })
	if got, want := slow.messages(), append(numbered(50), "Flush"); !equal(got, want) {
		t.Errorf("slow plugin got %v", got)
	}
	for _, st := range h.Plugins() {
		if st.Counts != (Counts{Received: 50, Delivered: 50}) || st.Err != nil {
			t.Errorf("%s: counts %+v, err %v", st.Name, st.Counts, st.Err)
		}
	}
}

func equal(a, b []string) bool {
	return strings.Join(a, "|") == strings.Join(b, "|") && len(a) == len(b)
}

func TestDropPolicy(t *testing.T) {
	held := &probe{hold: make(chan struct{}), got: make(chan string, 10)}
	other := &probe{}
	h, logBuf := newProbeHost(t, Options{QueueSize: 4, Policies: map[string]Policy{"p0": Drop}}, held, other)
	within(t, "Send under policy drop", func() {
		for i := range 10 {
			h.Info(fmt.Sprint(i), nil)
		}
	})
	<-held.got
	close(held.hold)
	within(t, "Close", func() {
		if err := h.Close(); err != nil {
			t.Error(err)
		}
	})
	// The queue holds 4 messages, the one being taken included.
	if got, want := held.messages(), append(numbered(4), "Flush"); !equal(got, want) {
		t.Errorf("held plugin got %v, want %v", got, want)
	}
	st := h.Plugins()
	if want := (Counts{Received: 10, Delivered: 4, Dropped: 6}); st[0].Counts != want {
		t.Errorf("counts = %+v, want %+v", st[0].Counts, want)
	}
	if want := (Counts{Received: 10, Delivered: 10}); st[1].Counts != want {
		t.Errorf("other plugin (policy block) counts = %+v, want %+v", st[1].Counts, want)
	}
	if logs := logBuf.String(); strings.Count(logs, "dropping") != 1 || !strings.Contains(logs, "p0: its queue is full (4 messages)") {
		t.Errorf("error log:\n%s", logs)
	}
}

func TestBlockPolicyWaitsForASlowPlugin(t *testing.T) {
	slow := &probe{hold: make(chan struct{})}
	go func() {
		for range 20 {
			time.Sleep(time.Millisecond)
			slow.hold <- struct{}{}
		}
	}()
	h, logBuf := newProbeHost(t, Options{QueueSize: 1, StallTimeout: time.Minute}, slow)
	within(t, "Send and Close", func() {
		for i := range 20 {
			h.Info(fmt.Sprint(i), nil)
		}
		h.Close()
	})
	if got, want := slow.messages(), append(numbered(20), "Flush"); !equal(got, want) {
		t.Errorf("slow plugin got %v", got)
	}
	if c := h.Plugins()[0].Counts; c != (Counts{Received: 20, Delivered: 20}) {
		t.Errorf("counts = %+v; error log:\n%s", c, logBuf)
	}
}

func TestStuckPluginIsQuarantined(t *testing.T) {
	stuck := &probe{hold: make(chan struct{}), got: make(chan string, 10)}
	other := &probe{}
	h, logBuf := newProbeHost(t, Options{QueueSize: 2, StallTimeout: 20 * time.Millisecond}, stuck, other)
	within(t, "Send to a stuck plugin", func() {
		for i := range 5 {
			h.Info(fmt.Sprint(i), nil)
		}
	})
	within(t, "Close", func() { h.Close() })
	st := h.Plugins()
	if want := (Counts{Received: 5, Delivered: 0, Dropped: 5}); st[0].Counts != want {
		t.Errorf("stuck plugin counts = %+v, want %+v", st[0].Counts, want)
	}
	if !errors.Is(st[0].Err, ErrStuck) || !st[0].Loaded() {
		t.Errorf("stuck plugin status err = %v", st[0].Err)
	}
	if want := (Counts{Received: 5, Delivered: 5}); st[1].Counts != want || st[1].Err != nil {
		t.Errorf("other plugin = %+v", st[1])
	}
	if logs := logBuf.String(); !strings.Contains(logs, "plugin p0 is stuck: it took no message for") ||
		!strings.Contains(logs, "2 queued messages were not delivered") {
		t.Errorf("error log:\n%s", logs)
	}
	close(stuck.hold) // it returns at last, and must not be called again
	time.Sleep(10 * time.Millisecond)
	if got := stuck.messages(); !equal(got, []string{"0"}) {
		t.Errorf("stuck plugin was called again: %v", got)
	}
}

func TestShutdownTimeout(t *testing.T) {
	tests := []struct {
		name      string
		plugin    func() *probe
		wantCount Counts
		wantErr   string
	}{
		{"Flush blocks", func() *probe { return &probe{holdFlush: make(chan struct{})} }, Counts{Received: 3, Delivered: 3, Errors: 1},
			"Flush had not returned when the shutdown timeout (20ms) ran out; Close was not called"},
		{"messages block", func() *probe { return &probe{hold: make(chan struct{})} }, Counts{Received: 3, Dropped: 3},
			"it had not taken every queued message when the shutdown timeout (20ms) ran out"},
	}
	for _, tt := range tests {
		for _, m := range deliveryModes {
			p := tt.plugin()
			if m.opts.Synchronous && p.hold != nil {
				continue // a synchronous Send would block
			}
			t.Run(tt.name+"/"+m.name, func(t *testing.T) {
				other := &probe{}
				opts := m.opts
				opts.ShutdownTimeout = 20 * time.Millisecond
				h, logBuf := newProbeHost(t, opts, p, other)
				for i := range 3 {
					h.Info(fmt.Sprint(i), nil)
				}
				var err error
				within(t, "Close", func() { err = h.Close() })
				if err == nil || !errors.Is(err, ErrStuck) {
					t.Errorf("Close = %v, want ErrStuck", err)
				}
				st := h.Plugins()
				wantErr := tt.wantErr
				if m.opts.Synchronous {
					wantErr = "its Flush or Close did not return within the shutdown timeout (20ms)"
				}
				if st[0].Counts != tt.wantCount || !errors.Is(st[0].Err, ErrStuck) || !strings.Contains(st[0].Err.Error(), wantErr) {
					t.Errorf("counts %+v, err %v; want %+v, %q", st[0].Counts, st[0].Err, tt.wantCount, wantErr)
				}
				if !strings.Contains(logBuf.String(), wantErr) {
					t.Errorf("error log:\n%s", logBuf)
				}
				if got := other.messages(); !equal(got, []string{"0", "1", "2", "Flush"}) {
					t.Errorf("other plugin got %v", got)
				}
			})
		}
	}
}

// borrower is a probe that borrows labels (see api.Borrower), and
// notes each distinct map it is lent.
type borrower struct {
	*probe
	lent map[uintptr]bool
}

func newBorrower(p *probe) *borrower { return &borrower{probe: p, lent: map[uintptr]bool{}} }

func (b *borrower) BorrowsLabels() bool { return true }

func (b *borrower) record(msg string, labels map[string]string) {
	if labels != nil {
		b.mu.Lock()
		b.lent[reflect.ValueOf(labels).Pointer()] = true
		b.mu.Unlock()
	}
	b.probe.record(msg, labels)
}

func (b *borrower) Log(msg string, l map[string]string)  { b.record(msg, l) }
func (b *borrower) Info(msg string, l map[string]string) { b.record(msg, l) }
func (b *borrower) Warn(msg string, l map[string]string) { b.record(msg, l) }

var _ api.Borrower = (*borrower)(nil)

func TestEachPluginGetsItsOwnLabels(t *testing.T) {
	mutator, a, b := &probe{mutate: true}, &probe{}, &probe{}
	borrowingMutator, borrowing := newBorrower(&probe{mutate: true}), newBorrower(&probe{})
	h, _ := newProbeHost(t, Options{}, mutator, a, b, borrowingMutator, borrowing)
	labels := map[string]string{}
	var want []map[string]string
	for i := range 100 {
		clear(labels)
		labels["seq"] = fmt.Sprint(i)
		labels["user"] = "ann"
		if i%10 == 5 { // more labels than fit the smallest map
			for j := range 20 {
				labels[fmt.Sprint("extra", j)] = fmt.Sprint(i)
			}
		}
		want = append(want, maps.Clone(labels))
		h.Info(fmt.Sprint(i), labels)
		labels["seq"] = "changed by the caller after Send"
	}
	h.Info("nil labels", nil)
	h.Info("empty labels", map[string]string{})
	h.Close()
	want = append(want, nil, map[string]string{})
	// A borrower is lent one map for the messages with few labels, and gets
	// a new map for each of the 10 with many: up to 11 distinct maps here
	// (fewer if the allocator reuses a freed one), never one per message.
	for name, b := range map[string]*borrower{"borrowing": borrowing, "borrowing mutator": borrowingMutator} {
		if n := len(b.lent); n < 2 || n > 25 {
			t.Errorf("%s plugin was lent %d distinct maps in 102 messages, want 2 to 25", name, n)
		}
	}
	for i, p := range []*probe{mutator, a, b, borrowingMutator.probe, borrowing.probe} {
		p.mu.Lock()
		got := p.labels[:len(p.labels)-1] // the last is Flush's
		if len(got) != len(want) {
			t.Fatalf("plugin %d got %d messages, want %d", i, len(got), len(want))
		}
		for j := range want {
			if !maps.Equal(got[j], want[j]) || (got[j] == nil) != (want[j] == nil) {
				t.Errorf("plugin %d, message %d: labels %v, want %v", i, j, got[j], want[j])
			}
		}
		if p.nils != 2 { // "nil labels" and Flush
			t.Errorf("plugin %d got %d nil maps, want 2", i, p.nils)
		}
		p.mu.Unlock()
	}
}

func TestEveryPluginSeesTheSameOrder(t *testing.T) {
	a, b := &probe{}, &probe{}
	h, _ := newProbeHost(t, Options{QueueSize: 8}, a, b)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				h.Info(fmt.Sprintf("%d-%d", g, i), map[string]string{"g": fmt.Sprint(g)})
			}
		})
	}
	wg.Wait()
	h.Close()
	if ga, gb := a.messages(), b.messages(); len(ga) != 801 || !equal(ga, gb) {
		t.Errorf("the plugins saw different orders (or counts %d, %d)", len(ga), len(gb))
	}
}

func TestFlushComesAfterTheMessagesBeforeIt(t *testing.T) {
	p := &probe{}
	h, _ := newProbeHost(t, Options{}, p)
	for i := range 3 {
		h.Info(fmt.Sprint(i), nil)
	}
	if err := h.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := p.messages(); !equal(got, []string{"0", "1", "2", "Flush"}) {
		t.Errorf("got %v", got)
	}
	h.Close()
}

func TestParsePolicy(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Policy
		err  bool
	}{{"block", Block, false}, {"drop", Drop, false}, {"Drop", Block, true}, {"", Block, true}} {
		got, err := ParsePolicy(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ParsePolicy(%q) = %v, %v", tt.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrUnknownPolicy) {
			t.Errorf("ParsePolicy(%q) error %v does not wrap ErrUnknownPolicy", tt.in, err)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}

// unsureBorrower panics when asked whether it borrows labels.
type unsureBorrower struct{ *probe }

func (unsureBorrower) BorrowsLabels() bool { panic("not sure") }

func TestBorrowsLabelsPanicGivesNewMaps(t *testing.T) {
	p := &probe{}
	h, logBuf := newProbeHost(t, Options{}, unsureBorrower{p})
	for i := range 3 {
		h.Info(fmt.Sprint(i), map[string]string{"seq": fmt.Sprint(i)})
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if want := "plugin p0 panicked in BorrowsLabels: not sure"; !strings.Contains(logBuf.String(), want) {
		t.Errorf("error log %q does not say %q", logBuf.String(), want)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if got := strings.Join(p.msgs, " "); got != "0 1 2 Flush" {
		t.Errorf("plugin got %q, want the 3 messages and Flush", got)
	}
	for i, l := range p.labels[:3] {
		if l["seq"] != fmt.Sprint(i) {
			t.Errorf("message %d: labels %v", i, l)
		}
	}
	if c := h.Plugins()[0].Counts; c.Delivered != 3 || c.Panics != 1 {
		t.Errorf("counts %+v, want 3 delivered and 1 panic", c)
	}
}
