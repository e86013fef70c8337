package host

import (
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/logplug/logplug/host/internal/deliver"
)

// Defaults for the delivery settings of [Options].
const (
	// DefaultMaxPanics is the number of panics after which a plugin is
	// quarantined when [Options.MaxPanics] is zero.
	DefaultMaxPanics = 10
	// DefaultQueueSize is the number of messages a plugin's queue holds
	// when [Options.QueueSize] is zero.
	DefaultQueueSize = 1024
	// DefaultStallTimeout is how long Send waits for a plugin with a full
	// queue to take a message, under [Block], before it declares the
	// plugin stuck, when [Options.StallTimeout] is zero.
	DefaultStallTimeout = 10 * time.Second
	// DefaultShutdownTimeout is the longest Close waits for the plugins to
	// take their queued messages, flush and close, when
	// [Options.ShutdownTimeout] is zero. A plugin that makes no progress
	// for the stall timeout is given up on before.
	DefaultShutdownTimeout = time.Minute
)

// A Policy says what Send does with a message for a plugin whose queue is
// full.
type Policy int

const (
	// Block makes Send wait until the plugin takes a message and the queue
	// has room again: back-pressure, and nothing is lost. A plugin that
	// takes no message for [Options.StallTimeout] is declared stuck and
	// quarantined.
	Block Policy = iota
	// Drop makes Send drop the message for that plugin, count it and go
	// on. The first drop is reported.
	Drop
)

// String returns "block" or "drop".
func (p Policy) String() string {
	switch p {
	case Block:
		return "block"
	case Drop:
		return "drop"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// ErrUnknownPolicy is returned, wrapped, by [ParsePolicy] for a name it
// does not know.
var ErrUnknownPolicy = errors.New("unknown queue policy")

// ParsePolicy returns the policy named "block" or "drop".
func ParsePolicy(name string) (Policy, error) {
	switch name {
	case "block":
		return Block, nil
	case "drop":
		return Drop, nil
	}
	return Block, fmt.Errorf("%w %q: want block or drop", ErrUnknownPolicy, name)
}

// delivery holds the queue policies of a Host.
type delivery struct {
	policy   Policy
	policies map[string]Policy
}

// policyFor returns the policy of the plugin with the given name.
func (d delivery) policyFor(name string) Policy {
	if p, ok := d.policies[name]; ok {
		return p
	}
	return d.policy
}

// newEngine returns the engine that opts ask for: queued or synchronous.
func newEngine(opts Options, errorLog *log.Logger) deliver.Engine {
	if opts.Synchronous {
		return deliver.NewSync(engineConfig(opts, errorLog))
	}
	return deliver.NewQueued(engineConfig(opts, errorLog))
}

// engineConfig returns the delivery settings of opts, resolved: the
// defaults for zero values.
func engineConfig(opts Options, errorLog *log.Logger) deliver.Config {
	cfg := deliver.Config{
		ErrorLog:        errorLog,
		MaxPanics:       opts.MaxPanics,
		FlushWhenIdle:   opts.FlushWhenIdle,
		QueueSize:       opts.QueueSize,
		StallTimeout:    opts.StallTimeout,
		ShutdownTimeout: opts.ShutdownTimeout,
	}
	switch {
	case cfg.MaxPanics == 0:
		cfg.MaxPanics = DefaultMaxPanics
	case cfg.MaxPanics < 0:
		cfg.MaxPanics = 0 // no limit
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.StallTimeout == 0 {
		cfg.StallTimeout = DefaultStallTimeout
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	return cfg
}
