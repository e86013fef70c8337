package main

import (
	"context"
	"syscall"
	"testing"
	"time"
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
