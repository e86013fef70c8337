package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/logplug/logplug/host"
)

// deliveryFlagsHelp explains deliveryFlags, for the help of run.
const deliveryFlagsHelp = `

Each plugin takes its messages, in order, from a queue of its own (--queue
messages long) in a goroutine of its own, so a slow plugin delays neither
the reading of input nor the other plugins while its queue has room. When a
plugin's queue is full, --policy says what happens: block (the default)
waits until the plugin takes a message, so nothing is lost, and declares
the plugin stuck, and stops sending it anything, if it takes none for
--stall-timeout; drop drops the message for that plugin and counts it.
At the end of input, a plugin that is slow but takes its messages gets
all the time it needs, up to --shutdown-timeout in all; one that makes no
progress for --stall-timeout is stuck.
--policy NAME=drop sets the policy of one plugin. A plugin that panics is
recovered and counted, and after --max-panics panics it gets no more
messages (0 means the default, 10; a negative number means no limit).`

// deliveryFlags are the flags that say how messages reach the plugins.
type deliveryFlags struct {
	queue           int
	policies        policyFlag
	stallTimeout    time.Duration
	shutdownTimeout time.Duration
	maxPanics       int
}

func (f *deliveryFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.queue, "queue", host.DefaultQueueSize, "queue up to `N` messages for each plugin")
	fs.Var(&f.policies, "policy", "when a plugin's queue is full, `POLICY`: block (wait, the default) or drop; NAME=POLICY for one plugin (repeatable)")
	fs.DurationVar(&f.stallTimeout, "stall-timeout", host.DefaultStallTimeout, "give up on a plugin that makes no progress for `D`: takes no message while its queue is full, or at the end none of what is queued, or stays in Flush or Close (0: never)")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", host.DefaultShutdownTimeout, "at the end, wait at most `D` in all for the plugins to take what is queued, flush and close, while they make progress")
	fs.IntVar(&f.maxPanics, "max-panics", host.DefaultMaxPanics, "stop calling a plugin after `N` panics (0: the default; -1: never)")
}

// check returns a usage error for a value that makes no sense.
func (f *deliveryFlags) check() error {
	switch {
	case f.queue <= 0:
		return usagef("--queue %d: want a number of messages above 0", f.queue)
	case f.stallTimeout < 0:
		return usagef("--stall-timeout %v: want a duration such as 10s, or 0 for never", f.stallTimeout)
	case f.shutdownTimeout <= 0:
		return usagef("--shutdown-timeout %v: want a duration above 0, such as 1m", f.shutdownTimeout)
	}
	return nil
}

// apply sets the delivery fields of opts.
func (f *deliveryFlags) apply(opts *host.Options) {
	opts.QueueSize = f.queue
	opts.Policy = f.policies.all
	opts.Policies = f.policies.byName
	opts.StallTimeout = f.stallTimeout
	if f.stallTimeout == 0 {
		opts.StallTimeout = -1 // never
	}
	opts.ShutdownTimeout = f.shutdownTimeout
	opts.MaxPanics = f.maxPanics // as in Options: 0 is the default, below 0 no limit
}

// warnUnknown reports each plugin named by --policy that is not among the
// plugins found, so that a typo does not pass unseen.
func (f *deliveryFlags) warnUnknown(w io.Writer, statuses []host.Status) {
	found := map[string]bool{}
	for _, s := range statuses {
		found[s.Name] = true
	}
	var names []string
	for name := range f.policies.byName {
		if !found[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "%s: --policy %s=%v: no plugin is named %q\n", progName, name, f.policies.byName[name], name)
	}
}

// policyFlag is the repeatable --policy flag: POLICY sets the policy of
// every plugin, NAME=POLICY that of one.
type policyFlag struct {
	all    host.Policy
	byName map[string]host.Policy
}

func (p *policyFlag) String() string {
	if p == nil {
		return ""
	}
	parts := []string{p.all.String()}
	for name, pol := range p.byName {
		parts = append(parts, name+"="+pol.String())
	}
	sort.Strings(parts[1:])
	return strings.Join(parts, ",")
}

func (p *policyFlag) Set(v string) error {
	name, value, named := strings.Cut(v, "=")
	if !named {
		value = v
	}
	pol, err := host.ParsePolicy(value)
	if err != nil {
		return fmt.Errorf("%q: want block, drop, NAME=block or NAME=drop", v)
	}
	if !named {
		p.all = pol
		return nil
	}
	if name == "" {
		return fmt.Errorf("%q: the plugin name before = is empty", v)
	}
	if p.byName == nil {
		p.byName = map[string]host.Policy{}
	}
	p.byName[name] = pol
	return nil
}
