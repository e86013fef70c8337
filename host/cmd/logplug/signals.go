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
func notifyInterrupts(parent context.Context) (ctx context.Context, stop func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := withInterrupts(parent, sigs)
	return ctx, func() {
		signal.Stop(sigs)
		cancel()
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
