package deliver

import (
	"errors"
	"fmt"
	"io"
	"log"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logplug/logplug/api"
)

// testLogger counts its calls; it panics on every panicEvery-th message
// (if set), and, if hold is set, receives from it before each message call
// returns, after sending the message on got (if set).
type testLogger struct {
	calls      atomic.Uint64
	panicEvery uint64
	hold       chan struct{}
	got        chan string
}

func (l *testLogger) Log(msg string, _ map[string]string) {
	n := l.calls.Add(1)
	if l.got != nil {
		l.got <- msg
	}
	if l.hold != nil {
		<-l.hold
	}
	if l.panicEvery > 0 && n%l.panicEvery == 0 {
		panic(fmt.Sprint("call ", n))
	}
}
func (l *testLogger) Info(msg string, labels map[string]string) { l.Log(msg, labels) }
func (l *testLogger) Warn(msg string, labels map[string]string) { l.Log(msg, labels) }

var _ api.Logger = (*testLogger)(nil)

// engines are the two engines, for tests that must hold for both.
var engines = []struct {
	name string
	new  func(Config) Engine
}{
	{"queued", NewQueued},
	{"synchronous", NewSync},
}

func testConfig() Config {
	return Config{
		ErrorLog:        log.New(io.Discard, "", 0),
		MaxPanics:       10,
		QueueSize:       4,
		StallTimeout:    -1,
		ShutdownTimeout: 10 * time.Second,
	}
}

// TestCountsAddUp checks the invariant of Counts: once Close has returned,
// every message received was delivered, dropped or panicked, whatever
// became of it, with several senders at once.
func TestCountsAddUp(t *testing.T) {
	plugins := []struct {
		name string
		p    Plugin
	}{
		{"working", Plugin{Logger: &testLogger{}}},
		{"panics now and then", Plugin{Logger: &testLogger{panicEvery: 7}}},
		{"quarantined", Plugin{Logger: &testLogger{panicEvery: 2}}},
		{"drops", Plugin{Logger: &testLogger{}, Drop: true}},
	}
	const senders, each = 4, 500
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.MaxPanics = 20
			e := eng.new(cfg)
			var sinks []*Sink
			for _, p := range plugins {
				p.p.Name = p.name
				sinks = append(sinks, e.Add(p.p))
			}
			e.Start()
			var wg sync.WaitGroup
			for g := range senders {
				wg.Go(func() {
					for i := range each {
						e.Send(api.LevelInfo, fmt.Sprint(g, i), map[string]string{"g": fmt.Sprint(g)})
					}
				})
			}
			wg.Wait()
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			e.Send(api.LevelInfo, "after Close", nil)
			for i, s := range sinks {
				c, panics := s.Counts(), s.msgPanics.Load()
				if c.Received != senders*each || c.Received != c.Delivered+c.Dropped+panics || c.Panics != panics {
					t.Errorf("%s: counts %+v, message panics %d: want %d received, each delivered, dropped or panicked",
						plugins[i].name, c, panics, senders*each)
				}
			}
			if got := e.Accepted(); got != senders*each {
				t.Errorf("Accepted() = %d, want %d", got, senders*each)
			}
			// Concurrent synchronous calls may panic after the 20th did,
			// before they see it quarantined.
			if c := sinks[2].Counts(); c.Panics < 20 || c.Panics > 20+senders || c.Dropped == 0 || !errors.Is(sinks[2].Fault(), ErrQuarantined) {
				t.Errorf("quarantined plugin: counts %+v, fault %v", c, sinks[2].Fault())
			}
		})
	}
}

func TestCloseEndsASendWaitingForRoom(t *testing.T) {
	stuck := &testLogger{hold: make(chan struct{}), got: make(chan string, 1)}
	defer close(stuck.hold)
	cfg := testConfig()
	cfg.QueueSize, cfg.ShutdownTimeout = 1, 20*time.Millisecond
	e := NewQueued(cfg)
	s := e.Add(Plugin{Name: "stuck", Logger: stuck})
	e.Start()
	e.Send(api.LevelInfo, "0", nil)
	<-stuck.got
	sent := make(chan struct{})
	go func() {
		e.Send(api.LevelInfo, "1", nil) // waits: the queue is full and there is no stall timeout
		close(sent)
	}()
	for !e.(*queuedEngine).sinks[0].q.waiting.Load() {
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	go func() {
		e.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not return")
	}
	<-sent
	if c := s.Counts(); c != (Counts{Received: 2, Dropped: 2}) {
		t.Errorf("counts = %+v", c)
	}
}

// TestSyncCloseWakesOnLastCall checks that a synchronous Close waits for
// every message call under way, and no longer: it is woken by the last
// call to return, not by a timer.
func TestSyncCloseWakesOnLastCall(t *testing.T) {
	const calls = 3
	l := &testLogger{hold: make(chan struct{}), got: make(chan string, calls)}
	var logBuf strings.Builder
	cfg := testConfig()
	cfg.ErrorLog = log.New(&logBuf, "", 0)
	e := NewSync(cfg)
	s := e.Add(Plugin{Name: "p", Logger: l})
	e.Start()
	var sent sync.WaitGroup
	for i := range calls {
		sent.Go(func() { e.Send(api.LevelInfo, fmt.Sprint(i), nil) })
	}
	for range calls {
		<-l.got
	}
	closed := make(chan error, 1)
	go func() { closed <- e.Close() }()
	for i := range calls {
		select {
		case err := <-closed:
			t.Fatalf("Close returned %v with %d calls under way", err, calls-i)
		case <-time.After(10 * time.Millisecond):
		}
		l.hold <- struct{}{}
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second): // well within the shutdown timeout
		t.Fatal("Close did not return once the last call did")
	}
	sent.Wait()
	if c := s.Counts(); c != (Counts{Received: calls, Delivered: calls}) {
		t.Errorf("counts = %+v", c)
	}
}
