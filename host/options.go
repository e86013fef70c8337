package host

import (
	"crypto/ed25519"
	"log"
	"time"

	"github.com/logplug/logplug/host/load"
	"github.com/logplug/logplug/host/trust"
)

// Options says which plugins a [Host] opens and how it treats them.
type Options struct {
	// Dir is a folder whose "*.so" files are loaded, in sorted order. Empty
	// means no folder.
	Dir string
	// Paths are plugin files loaded after those found in Dir. A path found
	// both ways is loaded once.
	Paths []string
	// Settings holds each plugin's settings, keyed by plugin name (see
	// [Plugin.Name]); they are passed to the plugin's Configure method
	// before its first message.
	Settings Settings
	// MaxPanics is how many panics a plugin may raise before the host stops
	// calling it. Zero means [DefaultMaxPanics]; a negative value means no
	// limit.
	MaxPanics int
	// ErrorLog receives one line for each plugin that fails to load or to
	// configure, panics, is quarantined, drops its first message or is
	// stuck. Nil means standard error, with the standard logger's flags. It
	// is not the log package's standard logger, because slog.SetDefault
	// sends that to the default slog handler, which may be a [Handler] over
	// this Host: the Host would then report a plugin's panic to the plugin,
	// while delivering to it. For the same reason, ErrorLog must not write
	// to a Handler over this Host.
	ErrorLog *log.Logger

	// Synchronous makes Send call each plugin in the caller's goroutine,
	// one after the other, with the caller's labels map itself, instead of
	// queueing the message for each plugin's goroutine. It is the fastest
	// way for plugins that are quick and trusted: a plugin that blocks
	// blocks the caller, and one that changes the labels map changes what
	// the later plugins and the caller see. Callers that send at once call
	// a plugin at once, as [api.Logger] allows; each plugin sees each
	// caller's messages in that caller's order. QueueSize, Policy, Policies
	// and StallTimeout do not apply.
	Synchronous bool
	// QueueSize is the number of messages each plugin's queue holds. Zero
	// means [DefaultQueueSize].
	QueueSize int
	// Policy says what Send does with a message for a plugin whose queue
	// is full: [Block] (the zero value) or [Drop].
	Policy Policy
	// Policies overrides Policy for the plugins it names.
	Policies map[string]Policy
	// StallTimeout is how long a plugin may make no progress before the
	// host declares it stuck and stops calling it: how long Send waits,
	// under [Block], for a plugin whose queue is full to take a message,
	// and how long Close waits for a plugin that takes none of its queued
	// messages, or stays in Flush or Close. Zero means
	// [DefaultStallTimeout]; a negative value means as long as it takes
	// (within ShutdownTimeout, for Close).
	StallTimeout time.Duration
	// ShutdownTimeout is the longest Close waits for the plugins to take
	// their queued messages, flush and close, while they make progress
	// (all at once, so Close takes about this long at most, or twice as
	// long if a Send was waiting for room when Close began), and how long
	// Flush and Reopen wait for each plugin. Zero means
	// [DefaultShutdownTimeout].
	ShutdownTimeout time.Duration

	// Before it opens a plugin file, Open refuses it when someone other
	// than root or the host's user could change it, or a folder or symlink
	// on the way to it (see [trust.Checker]), and when it is a symlink to a
	// file outside its folder. The fields below relax those checks or add
	// others (see [load.Options]). A refused file is never opened; its
	// [Status.Err] is a *[LoadError] whose Fix says what to do.

	// InsecurePermissions loads plugins that fail the permission check
	// anyway, reporting each to ErrorLog as a warning.
	InsecurePermissions bool
	// FollowSymlinks loads a plugin that is a symlink to a file outside
	// the folder that holds the symlink.
	FollowSymlinks bool
	// Pins, when not nil, are the SHA-256 digests plugin files must have,
	// by name relative to Dir (or to the current folder when Dir is empty),
	// or by absolute name. A file that is not pinned, or whose digest
	// differs, is refused.
	Pins *trust.Pins
	// TrustedKeys, when not empty, are the keys one of which must have
	// signed each plugin file: FILE.sig must hold a valid signature of FILE
	// (see [trust.Sign]), or FILE is refused.
	TrustedKeys []ed25519.PublicKey
	// Hints names the ways around a refusal that the fixes in errors
	// suggest; the zero value names the fields of Options. A program that
	// takes these options from its users' flags names the flags.
	Hints load.Hints

	// FlushWhenIdle is the caller's promise to call [Host.Idle] whenever it
	// has no message ready to send, and Close at the end. The host passes
	// the promise on to each plugin that can hold messages in a buffer (see
	// [api.Holder]), and Idle flushes those plugins.
	FlushWhenIdle bool
}

// loadOptions returns the options of the load pipeline; the warnings of the
// trust checks go to errorLog.
func (o Options) loadOptions(errorLog *log.Logger) load.Options {
	return load.Options{
		Dir:                 o.Dir,
		InsecurePermissions: o.InsecurePermissions,
		FollowSymlinks:      o.FollowSymlinks,
		Pins:                o.Pins,
		TrustedKeys:         o.TrustedKeys,
		Warnings:            errorLog,
		Hints:               o.Hints,
	}
}
