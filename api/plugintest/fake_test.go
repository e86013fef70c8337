package plugintest

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logplug/logplug/api"
)

// core is the state of a fake plugin: it keeps its records in memory. A
// fake that buffers holds records until Flush. bug names a way to break the
// fake, so that the tests can check that the suite catches it.
type core struct {
	bug      string
	mu       sync.Mutex
	buffered bool
	pending  []pending // accepted, not yet flushed
	out      []Record  // written
	closed   bool
	closes   int
	flushes  int // Flush calls in a row, without a message between
	active   atomic.Int32
	cache    map[uintptr]map[string]string // labels by map, for the bug "cache-by-map"
}

// pending is a message accepted but not yet written.
type pending struct {
	level  api.Level
	msg    string
	labels map[string]string // a copy, unless the bug is "keep"
}

// write accepts one message.
func (c *core) write(level api.Level, msg string, labels map[string]string) {
	switch c.bug {
	case "panic-on-nil":
		if labels == nil {
			panic("nil labels")
		}
	case "drop-concurrent":
		// Drops a message when another call is under way.
		if c.active.Add(1) > 1 {
			c.active.Add(-1)
			return
		}
		time.Sleep(time.Millisecond)
		defer c.active.Add(-1)
	case "block-after-close":
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed {
			select {}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.flushes = 0
	kept := maps.Clone(labels)
	switch c.bug {
	case "keep":
		kept = labels
	case "drop-labels":
		kept = nil
	case "cache-by-map":
		// Encodes each map once, and reuses the encoding when it sees the
		// same map again, as if a map could not change between calls.
		if labels != nil {
			p := reflect.ValueOf(labels).Pointer()
			if cached, ok := c.cache[p]; ok {
				kept = cached
			} else {
				if c.cache == nil {
					c.cache = map[uintptr]map[string]string{}
				}
				c.cache[p] = kept
			}
		}
	case "labels-as-fields":
		// Writes the labels and the message into one map, as a naive
		// encoder would: a label called "msg" replaces the message.
		if v, ok := kept["msg"]; ok {
			msg = v
			delete(kept, "msg")
		}
	case "rename-clashes":
		// Renames a label called "level" or "msg" to "label.level" or
		// "label.msg", overwriting a label already called so, and reads
		// back only those two renamed keys: as a plugin and its parser
		// that escape the clashing names but not the escaped ones.
		written := map[string]string{}
		for k, v := range kept {
			if k != "level" && k != "msg" {
				written[k] = v
			}
		}
		for _, k := range []string{"level", "msg"} {
			if v, ok := kept[k]; ok {
				written["label."+k] = v
			}
		}
		kept = map[string]string{}
		for k, v := range written {
			if k == "label.level" || k == "label.msg" {
				k = strings.TrimPrefix(k, "label.")
			}
			kept[k] = v
		}
	case "flatten-newlines":
		msg = strings.ReplaceAll(msg, "\n", " ")
	case "warn-as-info":
		if level == api.LevelWarn {
			level = api.LevelInfo
		}
	case "log-as-info":
		if level == api.LevelLog {
			level = api.LevelInfo
		}
	}
	c.pending = append(c.pending, pending{level, msg, kept})
	if c.bug == "double" {
		c.pending = append(c.pending, pending{level, msg, kept})
	}
	if c.bug == "mutate" {
		for k := range labels {
			labels[k] = "changed"
		}
	}
	if !c.buffered {
		c.flushLocked()
	}
}

// flushLocked writes the pending records.
func (c *core) flushLocked() {
	for _, p := range c.pending {
		r := Record{Level: p.level, Msg: p.msg, Labels: maps.Clone(p.labels)}
		if c.bug == "reverse" {
			c.out = slices.Insert(c.out, 0, r)
		} else {
			c.out = append(c.out, r)
		}
	}
	c.pending = c.pending[:0]
}

// result returns a copy of what the fake wrote.
func (c *core) result() []Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.out)
}

// minimal is a fake with the required methods only.
type minimal struct{ *core }

func (m minimal) Log(msg string, labels map[string]string)  { m.write(api.LevelLog, msg, labels) }
func (m minimal) Info(msg string, labels map[string]string) { m.write(api.LevelInfo, msg, labels) }
func (m minimal) Warn(msg string, labels map[string]string) { m.write(api.LevelWarn, msg, labels) }

// full is a fake with every capability. Its one setting, "buffer", takes
// "on" or "off"; it buffers by default.
type full struct{ minimal }

func (f full) Debug(msg string, labels map[string]string) { f.write(api.LevelDebug, msg, labels) }
func (f full) Error(msg string, labels map[string]string) { f.write(api.LevelError, msg, labels) }

func (f full) Configure(settings map[string]string) error {
	switch f.bug {
	case "accept-anything":
		return nil
	case "reject-everything":
		return errors.New("no")
	}
	for k, v := range settings {
		if k != "buffer" {
			if f.bug == "vague-errors" {
				return errors.New("bad settings")
			}
			return fmt.Errorf("setting %q: unknown key", k)
		}
		if v != "on" && v != "off" {
			return fmt.Errorf("setting buffer=%q: want on or off", v)
		}
		f.mu.Lock()
		f.buffered = v == "on"
		f.mu.Unlock()
	}
	return nil
}

func (f full) Flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flushes++
	if f.bug == "flush-twice-fails" && f.flushes > 1 {
		return errors.New("already flushed")
	}
	if f.bug == "flush-discards" {
		f.pending = f.pending[:0]
	}
	f.flushLocked()
	return nil
}

func (f full) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closes++
	if f.closes > 1 && f.bug == "close-twice-panics" {
		panic("close of closed file")
	}
	f.flushLocked()
	f.closed = true
	return nil
}

func (f full) Failures() (uint64, error) {
	if f.bug == "failures-invented" {
		return 1, errors.New("write: invented")
	}
	return 0, nil
}

func (f full) SettingKeys() []string {
	if f.bug == "keys-incomplete" {
		return []string{"other"}
	}
	return []string{"buffer"}
}

func (f full) Reopen() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bug == "reopen-discards" {
		f.pending = f.pending[:0]
	}
	f.flushLocked()
	return nil
}

func (f full) Describe() (string, string) {
	switch f.bug {
	case "no-name":
		return "", "v1"
	case "spaced-name":
		return "My Plugin", "v1"
	}
	return "fake", "v1"
}

// fakePlugin returns the suite's description of a fake: a full one unless
// minimal is set, broken by bug unless it is "".
func fakePlugin(isMinimal bool, bug string) Plugin {
	var last *core
	p := Plugin{
		New: func() api.Logger {
			last = &core{bug: bug, buffered: !isMinimal}
			if isMinimal {
				return minimal{last}
			}
			return full{minimal{last}}
		},
		Result: func() ([]Record, error) { return last.result(), nil },
	}
	if !isMinimal {
		p.Settings = map[string]string{"buffer": "on"}
	}
	return p
}
