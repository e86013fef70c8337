package host

import (
	"fmt"
	"log"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSynchronousConcurrentSendersAreAllCounted(t *testing.T) {
	const senders, each = 8, 500
	a, b := &probe{}, &probe{}
	h, _ := newProbeHost(t, Options{Synchronous: true}, a, b)
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			for i := range each {
				h.Info(fmt.Sprintf("%d/%d", g, i), map[string]string{"sender": fmt.Sprint(g)})
			}
		})
	}
	wg.Wait()
	if got, want := h.Accepted(), uint64(senders*each); got != want {
		t.Errorf("Accepted() = %d, want %d", got, want)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	for i, p := range []*probe{a, b} {
		msgs := p.messages()
		if len(msgs) != senders*each+1 { // and Flush
			t.Errorf("plugin %d got %d calls, want %d messages and Flush", i, len(msgs), senders*each)
		}
		// Each sender's messages arrive in its order.
		next := make([]int, senders)
		for _, m := range msgs[:len(msgs)-1] {
			var g, n int
			if _, err := fmt.Sscanf(m, "%d/%d", &g, &n); err != nil || n != next[g] {
				t.Fatalf("plugin %d: message %q out of order (want %d/%d)", i, m, g, next[g])
			}
			next[g]++
		}
		c := h.Plugins()[i].Counts
		if c.Received != senders*each || c.Delivered != senders*each || c.Lost() != 0 {
			t.Errorf("plugin %d counts %+v, want %d received and delivered", i, c, senders*each)
		}
	}
}

// blockingLogger notes when each call begins and returns; its Info blocks
// on the message "block" until unblock is closed.
type blockingLogger struct {
	mu      sync.Mutex
	events  []string
	started chan struct{} // closed when the call with "block" began
	unblock chan struct{}
}

func (l *blockingLogger) note(event string) {
	l.mu.Lock()
	l.events = append(l.events, event)
	l.mu.Unlock()
}

func (l *blockingLogger) Info(msg string, _ map[string]string) {
	l.note(msg)
	if msg == "block" {
		close(l.started)
		<-l.unblock
	}
	l.note(msg + " returned")
}
func (l *blockingLogger) Log(msg string, labels map[string]string)  { l.Info(msg, labels) }
func (l *blockingLogger) Warn(msg string, labels map[string]string) { l.Info(msg, labels) }
func (l *blockingLogger) Flush() error                              { l.note("Flush"); return nil }
func (l *blockingLogger) Close() error                              { l.note("Close"); return nil }

func (l *blockingLogger) got() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.events, ", ")
}

func TestSynchronousCloseWaitsForCallsUnderWay(t *testing.T) {
	tests := []struct {
		name       string
		release    time.Duration // when the blocked call returns, after Close begins
		shutdown   time.Duration
		wantEvents string
		wantErr    string // in Close's error, and the error log
		wantCounts Counts
	}{
		{"call returns in time", 50 * time.Millisecond, 5 * time.Second,
			"first, first returned, block, block returned, Flush, Close", "", Counts{Received: 2, Delivered: 2}},
		{"call never returns", time.Hour, 200 * time.Millisecond,
			"first, first returned, block", "a call of it with a message had not returned when the shutdown timeout (200ms) ran out; Flush and Close were not called",
			Counts{Received: 2, Delivered: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &blockingLogger{started: make(chan struct{}), unblock: make(chan struct{})}
			logBuf := &syncBuffer{}
			h := New(Options{Synchronous: true, ShutdownTimeout: tt.shutdown, ErrorLog: log.New(logBuf, "", 0)},
				&Plugin{Path: "p0.so", Name: "p0", Logger: l})
			h.Info("first", nil)
			sent := make(chan struct{})
			go func() {
				h.Info("block", nil)
				close(sent)
			}()
			<-l.started
			release := time.AfterFunc(tt.release, func() { close(l.unblock) })
			defer release.Stop()
			var err error
			within(t, "Close", func() { err = h.Close() })
			if got := l.got(); got != tt.wantEvents {
				t.Errorf("plugin calls %q, want %q", got, tt.wantEvents)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Close() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Close() = %v, want an error saying %q", err, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(logBuf.String(), tt.wantErr):
				t.Errorf("error log %q does not say %q", logBuf.String(), tt.wantErr)
			}
			if tt.wantErr == "" {
				<-sent
			}
			if c := h.Plugins()[0].Counts; c != tt.wantCounts {
				t.Errorf("counts %+v, want %+v", c, tt.wantCounts)
			}
		})
	}
}

func TestSynchronousSendAfterCloseIsIgnored(t *testing.T) {
	p := &probe{}
	h, _ := newProbeHost(t, Options{Synchronous: true}, p)
	h.Info("before", nil)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	h.Info("after", nil)
	if got := strings.Join(p.messages(), " "); got != "before Flush" {
		t.Errorf("plugin calls %q, want %q", got, "before Flush")
	}
	if c := h.Plugins()[0].Counts; c.Received != 1 || c.Delivered != 1 {
		t.Errorf("counts %+v, want 1 received and delivered", c)
	}
	if got := h.Accepted(); got != 1 {
		t.Errorf("Accepted() = %d, want 1", got)
	}
}
