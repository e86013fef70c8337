package plugintest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/logplug/logplug/api"
)

// A capability is an optional interface of package api that a case needs.
type capability int

const (
	none capability = iota
	debugger
	errorer
	configurer
	flusher
	closer
	describer
	failureCounter
	reopener
	keyLister
)

// has reports whether l implements c.
func (c capability) has(l api.Logger) bool {
	var ok bool
	switch c {
	case none:
		ok = true
	case debugger:
		_, ok = l.(api.DebugLogger)
	case errorer:
		_, ok = l.(api.ErrorLogger)
	case configurer:
		_, ok = l.(api.Configurer)
	case flusher:
		_, ok = l.(api.Flusher)
	case closer:
		_, ok = l.(api.Closer)
	case describer:
		_, ok = l.(api.Describer)
	case failureCounter:
		_, ok = l.(api.FailureCounter)
	case reopener:
		_, ok = l.(api.Reopener)
	case keyLister:
		_, ok = l.(api.SettingKeyLister)
	}
	return ok
}

// skipNote says what the host does for a plugin that lacks c, as the
// documentation of package api has it.
func (c capability) skipNote() string {
	switch c {
	case debugger:
		return "the plugin has no Debug method (api.DebugLogger); the host sends debug messages to Log"
	case errorer:
		return "the plugin has no Error method (api.ErrorLogger); the host sends error messages to Warn"
	case configurer:
		return "the plugin has no Configure method (api.Configurer); the host loads it only when it has no settings for it"
	case flusher:
		return "the plugin has no Flush method (api.Flusher); the host assumes each message is written when its method returns"
	case closer:
		return "the plugin has no Close method (api.Closer); the host does nothing at shutdown beyond Flush"
	case describer:
		return "the plugin has no Describe method (api.Describer); the host names it after its file"
	case failureCounter:
		return "the plugin has no Failures method (api.FailureCounter); the host counts every message whose method returned as delivered"
	case reopener:
		return "the plugin has no Reopen method (api.Reopener); the host skips it when asked to reopen files"
	case keyLister:
		return "the plugin has no SettingKeys method (api.SettingKeyLister); the host passes every setting to Configure"
	}
	return ""
}

// A testCase is one check of the suite.
type testCase struct {
	// name is the subtest's name.
	name string
	// explanation says in one line what a plugin must do to pass.
	explanation string
	// needs is the capability without which the case is skipped.
	needs capability
	// unconfigured cases get an instance on which Configure was not called.
	unconfigured bool
	// run does the check.
	run func(s *session) error
}

// A session is one case's run against one instance of the plugin.
type session struct {
	p      Plugin
	l      api.Logger
	closed bool
}

// runCase runs one case against a new instance of p. It returns a note when
// the case was skipped, and the case's failures.
func runCase(p Plugin, c testCase) (skip string, err error) {
	s := &session{p: p}
	if err := guard("New()", func() { s.l = p.New() }); err != nil {
		return "", err
	}
	if s.l == nil {
		return "", errors.New("New() returned nil")
	}
	if !c.needs.has(s.l) {
		s.close()
		return c.needs.skipNote(), nil
	}
	if !c.unconfigured {
		if err := s.configure(p.Settings); err != nil {
			s.close()
			return "", err
		}
	}
	err = c.run(s)
	if !s.closed {
		if cerr := s.close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}
	return "", err
}

// guard calls f and returns an error naming what when f panics or does not
// return within Timeout.
func guard(what string, f func()) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- fmt.Errorf("%s panicked: %v", what, v)
			}
		}()
		f()
		done <- nil
	}()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return fmt.Errorf("%s blocked: it did not return within %v", what, Timeout)
	}
}

// methodName returns the name of the method that receives messages at
// level.
func methodName(level api.Level) string {
	switch level {
	case api.LevelDebug:
		return "Debug"
	case api.LevelInfo:
		return "Info"
	case api.LevelWarn:
		return "Warn"
	case api.LevelError:
		return "Error"
	}
	return "Log"
}

// call formats a call of the method for level, for failure messages.
func call(level api.Level, msg string, labels map[string]string) string {
	l := "nil"
	if labels != nil {
		l = fmt.Sprintf("%q", labels)
	}
	return fmt.Sprintf("%s(%q, %s)", methodName(level), msg, l)
}

// configure calls Configure with a copy of settings, as the host does: an
// empty map for none, and an error for settings given to a plugin without
// Configure.
func (s *session) configure(settings map[string]string) error {
	settings = maps.Clone(settings)
	if settings == nil {
		settings = map[string]string{}
	}
	var err error
	if gerr := guard("Configure(Plugin.Settings)", func() { err = api.Configure(s.l, settings) }); gerr != nil {
		return gerr
	}
	if errors.Is(err, api.ErrNotConfigurable) {
		return fmt.Errorf("Plugin.Settings is not empty, but the plugin has no Configure method: %v", err)
	}
	if err != nil {
		return fmt.Errorf("Configure(%q) = %v, want nil: Plugin.Settings must be valid settings", settings, err)
	}
	return nil
}

// send delivers a message as the host does, with the fallbacks of
// [api.Send].
func (s *session) send(level api.Level, msg string, labels map[string]string) error {
	return guard(call(level, msg, labels), func() { api.Send(s.l, level, msg, labels) })
}

// want returns the record the plugin should write for a message sent with
// [api.Send].
func (s *session) want(level api.Level, msg string, labels map[string]string) Record {
	switch level {
	case api.LevelDebug:
		if !debugger.has(s.l) {
			level = api.LevelLog
		}
	case api.LevelError:
		if !errorer.has(s.l) {
			level = api.LevelWarn
		}
	}
	if l, ok := s.p.Levels[level]; ok {
		level = l
	}
	return Record{Level: level, Msg: msg, Labels: maps.Clone(labels)}
}

// flush calls Flush if the plugin has it.
func (s *session) flush() error {
	var err error
	if gerr := guard("Flush()", func() { err = api.Flush(s.l) }); gerr != nil {
		return gerr
	}
	if err != nil {
		return fmt.Errorf("Flush() = %v, want nil", err)
	}
	return nil
}

// close calls Close if the plugin has it, once per session.
func (s *session) close() error {
	s.closed = true
	var err error
	if gerr := guard("Close()", func() { err = api.Close(s.l) }); gerr != nil {
		return gerr
	}
	if err != nil {
		return fmt.Errorf("Close() = %v, want nil", err)
	}
	return nil
}

// records flushes the plugin and returns what it wrote.
func (s *session) records() ([]Record, error) {
	if err := s.flush(); err != nil {
		return nil, err
	}
	return s.result()
}

// result returns what the plugin wrote, without flushing it.
func (s *session) result() ([]Record, error) {
	var recs []Record
	var err error
	if gerr := guard("Result()", func() { recs, err = s.p.Result() }); gerr != nil {
		return nil, gerr
	}
	if err != nil {
		return nil, fmt.Errorf("Result() failed: %w", err)
	}
	return recs, nil
}

// expect flushes the plugin and compares what it wrote with want, in order.
func (s *session) expect(want []Record) error {
	got, err := s.records()
	if err != nil {
		return err
	}
	return compare(got, want)
}

// maxShown is how many records a failure message lists.
const maxShown = 8

// compare reports how got differs from want, in order.
func compare(got, want []Record) error {
	var lines []string
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			lines = append(lines, fmt.Sprintf("record %d missing, want %s", i+1, want[i]))
		case i >= len(want):
			lines = append(lines, fmt.Sprintf("record %d is %s, want none", i+1, got[i]))
		case !got[i].equal(want[i]):
			line := fmt.Sprintf("record %d is %s\n       want %s", i+1, got[i], want[i])
			if !maps.Equal(got[i].Labels, want[i].Labels) {
				line += "\n       labels: " + labelDiff(got[i].Labels, want[i].Labels)
			}
			lines = append(lines, line)
		}
	}
	return linesError(fmt.Sprintf("the records differ from those expected (%d records written, %d expected):", len(got), len(want)), lines)
}

// labelDiff lists, in key order, the labels missing from got, those that
// differ and those got has in excess of want.
func labelDiff(got, want map[string]string) string {
	keys := slices.Sorted(maps.Keys(want))
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		g, inGot := got[k]
		w, inWant := want[k]
		switch {
		case !inGot:
			parts = append(parts, fmt.Sprintf("missing %q:%q", k, w))
		case !inWant:
			parts = append(parts, fmt.Sprintf("unexpected %q:%q", k, g))
		case g != w:
			parts = append(parts, fmt.Sprintf("%q is %q, want %q", k, g, w))
		}
	}
	return strings.Join(parts, ", ")
}

// compareUnordered reports how got differs from want, in any order.
func compareUnordered(got, want []Record) error {
	left := slices.Clone(want)
	var extra []string
	for _, g := range got {
		i := slices.IndexFunc(left, g.equal)
		if i < 0 {
			extra = append(extra, fmt.Sprintf("unexpected record %s", g))
			continue
		}
		left = slices.Delete(left, i, i+1)
	}
	var lines []string
	for _, w := range left {
		lines = append(lines, fmt.Sprintf("missing record %s", w))
	}
	lines = append(lines, extra...)
	return linesError(fmt.Sprintf("the records differ from those expected, in any order (%d records written, %d expected; %d missing, %d unexpected):",
		len(got), len(want), len(left), len(extra)), lines)
}

// linesError returns nil when there are no lines, and otherwise an error
// with the head and at most maxShown of the lines.
func linesError(head string, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(head)
	for i, l := range lines {
		if i == maxShown {
			fmt.Fprintf(&b, "\n  ... and %d more", len(lines)-maxShown)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(l)
	}
	return errors.New(b.String())
}
