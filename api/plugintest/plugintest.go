// Package plugintest checks that a logplug plugin keeps the contract of
// package [github.com/logplug/logplug/api], in the spirit of testing/slogtest
// and testing/fstest.
//
// A plugin author calls [Run] from an ordinary test in the plugin's main
// package. The suite needs two things from the author, given as a [Plugin]:
// a function that makes a new instance of the plugin, its output directed
// somewhere the test can read, and a function that parses that output back
// into [Record]s, so that the suite can check that each message and label
// arrived. For a plugin that writes JSON lines to an io.Writer:
//
//	func TestConformance(t *testing.T) {
//		var buf bytes.Buffer
//		plugintest.Run(t, plugintest.Plugin{
//			New: func() api.Logger {
//				buf.Reset()
//				return &logger{out: &buf}
//			},
//			Result: func() ([]plugintest.Record, error) {
//				return parseJSONLines(buf.Bytes())
//			},
//		})
//	}
//
// The suite is a table of cases, each with a one-line explanation: the
// required methods, each optional capability the plugin has, nil and empty
// label maps, labels named like the fields a logger writes itself (level,
// msg, time and others) and like such labels once renamed (label.level,
// fields.msg), a labels map that must be neither changed nor kept, unusual text, and calls from 16 goroutines at once. A case for a
// capability the plugin lacks is skipped, and the skip says what the host
// does instead.
// Every call into the plugin is made under a guard: a panic, or a call that
// does not return within [Timeout], is a failure, not a crash or a hung
// test.
//
// Run the plugin's tests with -race: a plugin that changes a labels map it
// was given, or reads it after the call returned, or is not safe for
// concurrent use, is then caught even when the records it writes look right.
//
// [TestPlugin] runs the same cases outside package testing and returns every
// failure, joined into one error.
package plugintest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logplug/logplug/api"
)

// Timeout is how long the suite waits for one call into the plugin (or, in
// the concurrent case, for all of its calls) before it reports that the
// plugin blocked. A call that blocks is abandoned, not stopped: its
// goroutine stays blocked until the test binary exits.
var Timeout = 10 * time.Second

// A Record is one message as the plugin's output shows it.
type Record struct {
	// Level is the level the output shows. A parser that reads level names
	// can use [api.ParseLevel].
	Level api.Level
	// Msg is the message.
	Msg string
	// Labels are the labels. A nil map and an empty one are the same.
	Labels map[string]string
}

// String formats the record on one line, for failure messages.
func (r Record) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q {", r.Level, r.Msg)
	for i, k := range slices.Sorted(maps.Keys(r.Labels)) {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%q:%q", k, r.Labels[k])
	}
	b.WriteByte('}')
	return b.String()
}

// equal reports whether r and o are the same record.
func (r Record) equal(o Record) bool {
	return r.Level == o.Level && r.Msg == o.Msg && maps.Equal(r.Labels, o.Labels)
}

// Plugin is what the suite needs to know about the plugin under test.
//
// The suite calls New and Result from one case at a time, never
// concurrently, so they may share variables such as an output buffer. It
// uses one instance from New at a time (though a call that blocked past
// [Timeout] may still be running).
type Plugin struct {
	// New returns a new instance of the plugin, as the host would find it
	// before calling Configure, with its output directed where Result reads
	// it (a buffer, or a new file in a temporary folder). Required.
	New func() api.Logger

	// Result returns every record that the instance most recently returned
	// by New has written, in the order written. The suite calls it after
	// Flush (when the plugin has Flush), and after Close in the cases that
	// close the plugin. Required.
	Result func() ([]Record, error)

	// Settings is a valid set of settings for a plugin that implements
	// [api.Configurer]. The suite configures every instance with it, as the
	// host does, before sending messages; nil stands for no settings (an
	// empty map). It must be empty for a plugin without Configure.
	Settings map[string]string

	// Levels is for a plugin whose output does not tell every level apart.
	// It maps the level of the method called (after the host's fallbacks:
	// Debug to Log and Error to Warn for a plugin without them) to the
	// level its records show; {api.LevelLog: api.LevelInfo} describes a
	// plugin whose Log writes info records. A level not in the map is
	// expected as called.
	Levels map[api.Level]api.Level
}

// check reports a Plugin the suite can't use.
func (p Plugin) check() error {
	switch {
	case p.New == nil:
		return errors.New("plugintest: Plugin.New is nil; set it to a function returning a new instance of the plugin")
	case p.Result == nil:
		return errors.New("plugintest: Plugin.Result is nil; set it to a function parsing the plugin's output into records")
	}
	return nil
}

// Run runs the suite's cases as subtests of t. A case that fails reports
// its explanation and what went wrong; a case for a capability the plugin
// lacks is skipped with a note that says so.
func Run(t *testing.T, p Plugin) {
	t.Helper()
	if err := p.check(); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			skip, err := runCase(p, c)
			if skip != "" {
				t.Skip(skip)
			}
			if err != nil {
				t.Errorf("%s\n%v", c.explanation, err)
			}
		})
	}
}

// TestPlugin runs every case of the suite and returns the failures, each
// prefixed with its case's name and explanation, joined into one error; nil
// means the plugin passed. Cases for capabilities the plugin lacks are
// skipped silently; [Run] reports them.
func TestPlugin(p Plugin) error {
	if err := p.check(); err != nil {
		return err
	}
	var errs []error
	for _, c := range cases {
		if _, err := runCase(p, c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s:\n%w", c.name, c.explanation, err))
		}
	}
	return errors.Join(errs...)
}
