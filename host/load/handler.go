package load

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/logplug/logplug/api"
)

// handlerLogger delivers messages to a plugin whose LoggingPlugin is a
// [slog.Handler], the second shape a plugin may have: each message becomes
// a record with the time of the call, the level's slog level (a message
// without a level is at slog.LevelInfo) and the labels as string
// attributes, in sorted key order. A level the handler is not Enabled for
// is not sent. A Handle that returns an error counts as a failed write
// (see [api.FailureCounter]).
//
// It has the optional methods of the contract that a handler may have too
// (Configure, Flush, Close, Describe, Reopen, Failures), each calling the
// handler's, or doing what the host does when a plugin lacks it.
type handlerLogger struct {
	h      slog.Handler
	failed atomic.Uint64
	last   atomic.Pointer[error]
}

// newHandlerLogger returns the logger that delivers to h.
func newHandlerLogger(h slog.Handler) *handlerLogger { return &handlerLogger{h: h} }

// FromHandler returns the logger through which the host delivers to a
// plugin that is the slog.Handler h, as Open does for a plugin file of that
// shape: for a [Plugin] made in the program (see host.New).
func FromHandler(h slog.Handler) api.Logger { return newHandlerLogger(h) }

// slogLevels maps the contract's levels to slog's.
var slogLevels = [...]slog.Level{
	api.LevelLog:   slog.LevelInfo,
	api.LevelDebug: slog.LevelDebug,
	api.LevelInfo:  slog.LevelInfo,
	api.LevelWarn:  slog.LevelWarn,
	api.LevelError: slog.LevelError,
}

func (l *handlerLogger) handle(level api.Level, msg string, labels map[string]string) {
	ctx := context.Background()
	sl := slogLevels[level]
	if !l.h.Enabled(ctx, sl) {
		return
	}
	r := slog.NewRecord(time.Now(), sl, msg, 0)
	if len(labels) > 0 {
		keys := make([]string, 0, len(labels))
		for k := range labels {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			r.AddAttrs(slog.String(k, labels[k]))
		}
	}
	if err := l.h.Handle(ctx, r); err != nil {
		l.last.Store(&err)
		l.failed.Add(1)
	}
}

// Log delivers a message without a level, at slog.LevelInfo.
func (l *handlerLogger) Log(msg string, labels map[string]string) {
	l.handle(api.LevelLog, msg, labels)
}

// Debug delivers a debug message.
func (l *handlerLogger) Debug(msg string, labels map[string]string) {
	l.handle(api.LevelDebug, msg, labels)
}

// Info delivers an informational message.
func (l *handlerLogger) Info(msg string, labels map[string]string) {
	l.handle(api.LevelInfo, msg, labels)
}

// Warn delivers a warning.
func (l *handlerLogger) Warn(msg string, labels map[string]string) {
	l.handle(api.LevelWarn, msg, labels)
}

// Error delivers an error message.
func (l *handlerLogger) Error(msg string, labels map[string]string) {
	l.handle(api.LevelError, msg, labels)
}

// Enabled reports whether the handler wants records at level.
func (l *handlerLogger) Enabled(ctx context.Context, level slog.Level) bool {
	return l.h.Enabled(ctx, level)
}

// BorrowsLabels reports true: the labels are copied into the record's
// attributes before Handle is called, and the map is not kept.
func (l *handlerLogger) BorrowsLabels() bool { return true }

// Configure passes settings to the handler's Configure, if it has one;
// without it, only empty settings are accepted.
func (l *handlerLogger) Configure(settings map[string]string) error {
	if c, ok := l.h.(api.Configurer); ok {
		return c.Configure(settings)
	}
	if len(settings) == 0 {
		return nil
	}
	return fmt.Errorf("%w (a slog.Handler without a Configure method)", api.ErrNotConfigurable)
}

// Flush calls the handler's Flush, if it has one.
func (l *handlerLogger) Flush() error {
	if f, ok := l.h.(api.Flusher); ok {
		return f.Flush()
	}
	return nil
}

// Close calls the handler's Close, if it has one.
func (l *handlerLogger) Close() error {
	if c, ok := l.h.(api.Closer); ok {
		return c.Close()
	}
	return nil
}

// Describe returns the handler's name and version, if it describes itself,
// and "" otherwise (the host then names it after its file).
func (l *handlerLogger) Describe() (string, string) {
	if d, ok := l.h.(api.Describer); ok {
		return d.Describe()
	}
	return "", ""
}

// Reopen calls the handler's Reopen, if it has one.
func (l *handlerLogger) Reopen() error {
	if r, ok := l.h.(api.Reopener); ok {
		return r.Reopen()
	}
	return nil
}

// Failures counts the records whose Handle failed, and those the handler
// itself counts as failed, if it counts them.
func (l *handlerLogger) Failures() (uint64, error) {
	var n uint64
	var err error
	if f, ok := l.h.(api.FailureCounter); ok {
		n, err = f.Failures()
	}
	if own := l.failed.Load(); own > 0 {
		n += own
		if err == nil {
			err = *l.last.Load() // stored before the count grew
		}
	}
	return n, err
}
