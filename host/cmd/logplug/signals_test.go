package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/logplug/logplug/host"
)

// TestNotifyInterrupts sends the test process a real SIGTERM once
// awaitInterrupts says it is caught: the context ends with it as the cause,
// and the process lives on.
func TestNotifyInterrupts(t *testing.T) {
	ctx, stop := notifyInterrupts(context.Background())
	defer stop()
	awaitInterrupts(ctx)
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the context was not cancelled by SIGTERM")
	}
	if got, want := context.Cause(ctx).Error(), "SIGTERM"; got != want {
		t.Errorf("cause %q, want %q", got, want)
	}
}

// reopener is a recorder whose Reopen is recorded among its messages,
// and fails when fail is set.
type reopener struct {
	recorder
	fail bool
}

func (r *reopener) Reopen() error {
	r.add("reopen", "", nil)
	if r.fail {
		return errors.New("open app.log: permission denied")
	}
	return nil
}

// TestReopenOnHangup checks that each SIGHUP reopens the plugins' files
// in order with the messages, and that run reports each time, a failure
// included.
func TestReopenOnHangup(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprint("fail=", fail), func(t *testing.T) {
			var stderr syncWriter
			rec := &reopener{fail: fail}
			h := testHost(&stderr, host.Options{}, rec)
			hangups, done := make(chan os.Signal), make(chan struct{})
			ended := make(chan struct{})
			go func() { reopenOnHangup(h, hangups, done, &stderr); close(ended) }()
			h.Info("before", nil)
			hangups <- syscall.SIGHUP
			want := "logplug: SIGHUP: the plugins that write files reopened them\n"
			if fail {
				want = "logplug: SIGHUP: reopening files: r0: Reopen: open app.log: permission denied\n"
			}
			waitFor(t, "the report of the SIGHUP", func() bool { return stderr.String() != "" })
			h.Info("after", nil)
			close(done)
			<-ended
			if err := h.Close(); err != nil && !fail {
				t.Fatal(err)
			}
			if got := stderr.String(); got != want {
				t.Errorf("stderr = %q, want %q", got, want)
			}
			if got, want := rec.got(), []string{`info "before" map[]`, `reopen "" map[]`, `info "after" map[]`}; !slices.Equal(got, want) {
				t.Errorf("plugin saw %q, want %q", got, want)
			}
		})
	}
}
