package deliver

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logplug/logplug/api"
)

// eventLogger records its messages and Reopen calls, in order, and fails
// to write the messages whose text is in failing (see api.FailureCounter).
type eventLogger struct {
	mu      sync.Mutex
	events  []string
	failing func(msg string) bool
	failed  atomic.Uint64
}

func (l *eventLogger) Log(msg string, _ map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failing != nil && l.failing(msg) {
		l.failed.Add(1)
		return
	}
	l.events = append(l.events, msg)
}
func (l *eventLogger) Info(msg string, labels map[string]string) { l.Log(msg, labels) }
func (l *eventLogger) Warn(msg string, labels map[string]string) { l.Log(msg, labels) }

func (l *eventLogger) Reopen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, "reopen")
	return nil
}

func (l *eventLogger) Failures() (uint64, error) {
	n := l.failed.Load()
	if n == 0 {
		return 0, nil
	}
	return n, errors.New("write out.log: no space left on device")
}

func (l *eventLogger) recorded() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

var (
	_ api.Reopener       = (*eventLogger)(nil)
	_ api.FailureCounter = (*eventLogger)(nil)
)

// TestReopenInOrder checks that Reopen reaches each plugin after the
// messages sent before it and before those sent after, and skips a plugin
// that can't reopen.
func TestReopenInOrder(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			e := eng.new(testConfig())
			l := &eventLogger{}
			plain := &testLogger{}
			e.Add(Plugin{Name: "events", Logger: l})
			e.Add(Plugin{Name: "plain", Logger: plain})
			e.Start()
			var want []string
			for i := range 3 {
				for j := range 10 {
					msg := fmt.Sprintf("m%d.%d", i, j)
					e.Send(api.LevelInfo, msg, nil)
					want = append(want, msg)
				}
				if err := e.Reopen(); err != nil {
					t.Fatalf("Reopen: %v", err)
				}
				want = append(want, "reopen")
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			if got := l.recorded(); !slices.Equal(got, want) {
				t.Errorf("events = %q, want %q", got, want)
			}
			if n := plain.calls.Load(); n != 30 {
				t.Errorf("the plugin without Reopen got %d messages, want 30", n)
			}
		})
	}
}

// TestFailedWritesCount checks that the failures a plugin reports are
// counted, that a plugin whose writes keep failing is stopped, with every
// message it got after that counted as dropped, and that one whose
// failures come and go is not.
func TestFailedWritesCount(t *testing.T) {
	const n = 5000
	tests := []struct {
		name    string
		failing func(msg string) bool
		check   func(t *testing.T, c Counts, fault error)
	}{
		{"every other write fails", func(msg string) bool { return msg[len(msg)-1]%2 == 0 },
			func(t *testing.T, c Counts, fault error) {
				if c.Delivered != n || c.Failed != n/2 || c.Dropped != 0 || fault != nil {
					t.Errorf("counts %+v, fault %v; want %d delivered, %d failed, none dropped, no fault", c, fault, n, n/2)
				}
			}},
		{"every write fails", func(string) bool { return true },
			func(t *testing.T, c Counts, fault error) {
				if !errors.Is(fault, ErrFailing) {
					t.Fatalf("fault = %v, want ErrFailing", fault)
				}
				if c.Failed != c.Delivered || c.Delivered < maxFailedInARow || c.Delivered+c.Dropped != n {
					t.Errorf("counts %+v; want every delivered message failed, at least %d, the rest dropped", c, maxFailedInARow)
				}
			}},
	}
	for _, eng := range engines {
		for _, tt := range tests {
			t.Run(eng.name+"/"+tt.name, func(t *testing.T) {
				e := eng.new(testConfig())
				l := &eventLogger{failing: tt.failing}
				s := e.Add(Plugin{Name: "events", Logger: l})
				e.Start()
				for i := range n {
					e.Send(api.LevelInfo, fmt.Sprint("m", i), nil)
				}
				if err := e.Close(); err != nil {
					t.Fatal(err)
				}
				c := s.Counts()
				tt.check(t, c, s.Fault())
				if c.Failed > 0 && s.LatestFailure() == nil {
					t.Error("LatestFailure() = nil after failures")
				}
			})
		}
	}
}

// slowLogger takes perMessage over each message, and, if stuckAt is above
// 0, never returns from message stuckAt.
type slowLogger struct {
	perMessage time.Duration
	stuckAt    uint64
	calls      atomic.Uint64
}

func (l *slowLogger) Log(string, map[string]string) {
	if n := l.calls.Add(1); l.stuckAt > 0 && n >= l.stuckAt {
		select {} // a plugin that never returns
	}
	time.Sleep(l.perMessage) // the plugin's own slowness, not synchronisation
}
func (l *slowLogger) Info(msg string, labels map[string]string) { l.Log(msg, labels) }
func (l *slowLogger) Warn(msg string, labels map[string]string) { l.Log(msg, labels) }

// TestCloseWaitsWhileProgressing checks that Close gives a plugin that is
// slow but takes its messages all the time it needs, far beyond the stall
// timeout in all, and gives up on one that stops, after the stall timeout
// and long before the shutdown timeout.
func TestCloseWaitsWhileProgressing(t *testing.T) {
	const n = 40
	tests := []struct {
		name      string
		l         *slowLogger
		delivered uint64
		stuck     bool
	}{
		{"slow", &slowLogger{perMessage: 50 * time.Millisecond}, n, false},
		{"stops", &slowLogger{stuckAt: 10}, 9, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.QueueSize = n
			cfg.StallTimeout = time.Second // 20 messages' time, half of the whole
			cfg.ShutdownTimeout = time.Hour
			e := NewQueued(cfg)
			s := e.Add(Plugin{Name: "slow", Logger: tt.l})
			e.Start()
			for i := range n {
				e.Send(api.LevelInfo, fmt.Sprint(i), nil)
			}
			err := e.Close()
			c := s.Counts()
			if c.Delivered != tt.delivered || errors.Is(err, ErrStuck) != tt.stuck {
				t.Errorf("Close() = %v with %d delivered; want %d delivered, stuck %v", err, c.Delivered, tt.delivered, tt.stuck)
			}
			if tt.stuck && !strings.Contains(err.Error(), "it made no progress for 1s (the stall timeout)") {
				t.Errorf("Close() = %v, want it to say the plugin made no progress for the stall timeout", err)
			}
		})
	}
}
