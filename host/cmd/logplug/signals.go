package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// interrupted is the cause of a context cancelled by a signal.
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string {
	switch e.sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return e.sig.String()
}

// hardStopKey is the context key of the channel that a second signal
// closes.
type hardStopKey struct{}

// notifyInterrupts returns a context that the first SIGINT or SIGTERM
// cancels, with the signal as its cause ([context.Cause]), and that
// carries a channel (see hardStop) that a second one closes. stop undoes
// it.
//
// The signals are caught from a moment later on (see awaitInterrupts):
// signal.Notify starts a thread of its own the first time and waits for
// it, a quarter of a millisecond that logplug's start-up need not wait for
// while it loads the plugins.
func notifyInterrupts(parent context.Context) (ctx context.Context, stop func()) {
	sigs := make(chan os.Signal, 2)
	caught := make(chan struct{})
	go func() {
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
		close(caught)
	}()
	ctx, cancel := withInterrupts(parent, sigs)
	ctx = context.WithValue(ctx, caughtKey{}, (<-chan struct{})(caught))
	return ctx, func() {
		<-caught
		signal.Stop(sigs)
		cancel()
	}
}

// caughtKey is the context key of the channel that notifyInterrupts closes
// once the signals are caught.
type caughtKey struct{}

// awaitInterrupts returns once the signals that cancel ctx are caught, so
// that none ends the process by default from then on. Call it before
// accepting what a signal must not lose, such as input lines.
func awaitInterrupts(ctx context.Context) {
	if c, ok := ctx.Value(caughtKey{}).(<-chan struct{}); ok {
		<-c
	}
}

// withInterrupts is notifyInterrupts with the signals coming from sigs.
func withInterrupts(parent context.Context, sigs <-chan os.Signal) (context.Context, context.CancelFunc) {
	ctx, cancelCause := context.WithCancelCause(parent)
	hard := make(chan struct{})
	ctx = context.WithValue(ctx, hardStopKey{}, (<-chan struct{})(hard))
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			cancelCause(interrupted{sig})
		case <-done:
			return
		}
		select {
		case <-sigs:
			close(hard)
		case <-done:
		}
	}()
	return ctx, func() {
		close(done)
		cancelCause(context.Canceled)
	}
}

// hardStop returns the channel that a second signal closes, or nil (a
// channel that is never ready) if ctx carries none.
func hardStop(ctx context.Context) <-chan struct{} {
	c, _ := ctx.Value(hardStopKey{}).(<-chan struct{})
	return c
}

// ignoreBrokenPipes makes a write to a closed pipe or socket fail with
// EPIPE instead of ending the process: by default, the Go runtime ends a
// program whose write to standard output or standard error finds the
// reader gone (`logplug run | head -1`). Such a write then counts against
// the plugin that made it (or, for logplug's own reports, is let go),
// and the other plugins get every message. Catching SIGPIPE, rather than
// ignoring it, leaves it at its default in the programs logplug starts.
func ignoreBrokenPipes() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}

// notifyHangups returns a channel that gets a value for each SIGHUP, and
// a function that stops it. From then on SIGHUP no longer ends the
// process.
func notifyHangups() (<-chan os.Signal, func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGHUP)
	return c, func() { signal.Stop(c) }
}
