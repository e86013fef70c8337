package plugintest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/logplug/logplug/api"
)

// allLevels are the levels of every method, in the order the cases call
// them.
var allLevels = []api.Level{api.LevelLog, api.LevelDebug, api.LevelInfo, api.LevelWarn, api.LevelError}

// unknownKey is the setting no plugin knows.
const unknownKey = "plugintest-unknown-key"

// goroutines is how many goroutines call the plugin at once in the
// concurrent case, and perGoroutine how many messages each sends.
const (
	goroutines   = 16
	perGoroutine = 25
)

// fieldNames are names that logging libraries give fields of their own,
// sent as label names by the label-names case.
var fieldNames = []string{"level", "lvl", "msg", "message", "time", "ts", "timestamp", "caller", "error", "source"}

// renamePrefixes are prefixes that plugins give a label they rename to keep
// it apart from their logger's own fields ("label.level", or logrus's
// "fields.level"). The label-prefixes case sends labels whose names already
// begin with them.
var renamePrefixes = []string{"label.", "fields."}

// prefixedLabels returns labels named like a logger's own fields, the same
// names behind one and two of each rename prefix, and each prefix alone:
// "level", "label.level", "label.label.level", "fields.level", ...
func prefixedLabels() map[string]string {
	labels := map[string]string{}
	for _, p := range renamePrefixes {
		labels[p] = "label " + p
		for _, k := range fieldNames {
			for _, name := range []string{k, p + k, p + p + k} {
				labels[name] = "label " + name
			}
		}
	}
	return labels
}

// cases is the suite, in the order it runs.
var cases = []testCase{
	{
		name:        "required-methods",
		explanation: "Log, Info and Warn each write one record with the message, level and labels given",
		run: func(s *session) error {
			return sendAll(s, []message{
				{api.LevelLog, "conformance: log", map[string]string{"method": "Log", "n": "1"}},
				{api.LevelInfo, "conformance: info", map[string]string{"method": "Info", "n": "2"}},
				{api.LevelWarn, "conformance: warn", map[string]string{"method": "Warn", "n": "3"}},
			})
		},
	},
	{
		name:        "debug",
		explanation: "Debug writes one record at level debug with the message and labels given",
		needs:       debugger,
		run: func(s *session) error {
			return sendAll(s, []message{{api.LevelDebug, "conformance: debug", map[string]string{"method": "Debug"}}})
		},
	},
	{
		name:        "error",
		explanation: "Error writes one record at level error with the message and labels given",
		needs:       errorer,
		run: func(s *session) error {
			return sendAll(s, []message{{api.LevelError, "conformance: error", map[string]string{"method": "Error"}}})
		},
	},
	{
		name:        "order",
		explanation: "records appear in the order of the calls that wrote them",
		run: func(s *session) error {
			var msgs []message
			for i := range 20 {
				msgs = append(msgs, message{allLevels[i%len(allLevels)], fmt.Sprintf("conformance: message %d of 20", i+1),
					map[string]string{"seq": fmt.Sprint(i + 1)}})
			}
			return sendAll(s, msgs)
		},
	},
	{
		name:        "nil-labels",
		explanation: "every method accepts nil labels and writes a record without labels",
		run: func(s *session) error {
			var msgs []message
			for _, l := range allLevels {
				msgs = append(msgs, message{l, "conformance: nil labels to " + methodName(l), nil})
			}
			return sendAll(s, msgs)
		},
	},
	{
		name:        "empty-labels",
		explanation: "every method accepts an empty labels map and writes a record without labels",
		run: func(s *session) error {
			var msgs []message
			for _, l := range allLevels {
				msgs = append(msgs, message{l, "conformance: empty labels to " + methodName(l), map[string]string{}})
			}
			return sendAll(s, msgs)
		},
	},
	{
		name:        "text",
		explanation: "messages and labels with quotes, backslashes, newlines, tabs, equals signs, non-ASCII text, empty values and many keys arrive unchanged",
		run: func(s *session) error {
			many := map[string]string{}
			for i := range 50 {
				many[fmt.Sprintf("key%02d", i)] = fmt.Sprintf("value %d", i)
			}
			return sendAll(s, []message{
				{api.LevelInfo, `she said "hi"`, map[string]string{"quote": `"`, "backslash": `C:\temp\`}},
				{api.LevelWarn, "two\nlines\r\nand a\ttab", map[string]string{"newline": "a\nb", "tab": "a\tb"}},
				{api.LevelLog, "日本語, ünïcödé, emoji 🙂", map[string]string{"ключ": "значение", "emoji": "🙂"}},
				{api.LevelInfo, "empty values", map[string]string{"empty": "", "key with spaces": "v", "dotted.key": "v"}},
				{api.LevelInfo, "", map[string]string{"note": "the message is empty"}},
				{api.LevelWarn, "fifty labels", many},
				{api.LevelInfo, "key=value in a message", map[string]string{"equals": "a=b", "k=v": "key with an equals sign"}},
			})
		},
	},
	{
		name:        "label-names",
		explanation: "labels named like the fields loggers write themselves (level, msg, message, time and others) arrive as labels, and leave the record's level and message as they are",
		run: func(s *session) error {
			labels := map[string]string{}
			for _, k := range fieldNames {
				labels[k] = "label " + k
			}
			var msgs []message
			for _, l := range allLevels {
				msgs = append(msgs, message{l, "conformance: label names to " + methodName(l), labels})
			}
			return sendAll(s, msgs)
		},
	},
	{
		name:        "label-prefixes",
		explanation: "a label named like a logger's own field and labels named like it renamed (level, label.level, label.label.level, fields.level and others) each arrive as themselves: renaming one label must not overwrite or repeat another",
		run: func(s *session) error {
			var msgs []message
			for _, l := range allLevels {
				msgs = append(msgs, message{l, "conformance: label prefixes to " + methodName(l), prefixedLabels()})
			}
			return sendAll(s, msgs)
		},
	},
	{
		name:        "labels-unchanged",
		explanation: "no method changes the labels map it is given",
		run: func(s *session) error {
			var errs []error
			var want []Record
			for _, l := range allLevels {
				labels := map[string]string{"a": "1", "b": "2", "method": methodName(l)}
				before := maps.Clone(labels)
				msg := "conformance: labels unchanged by " + methodName(l)
				if err := s.send(l, msg, labels); err != nil {
					return err
				}
				if !maps.Equal(labels, before) {
					errs = append(errs, fmt.Errorf("%s changed the map to %q", call(l, msg, before), labels))
				}
				want = append(want, s.want(l, msg, before))
			}
			return errors.Join(append(errs, s.expect(want))...)
		},
	},
	{
		name:        "labels-not-kept",
		explanation: "no method keeps the labels map: changing it after the call returns does not change what the plugin writes",
		run: func(s *session) error {
			var want []Record
			for _, l := range allLevels {
				labels := map[string]string{"k": "before", "gone": "soon", "method": methodName(l)}
				msg := "conformance: labels not kept by " + methodName(l)
				want = append(want, s.want(l, msg, labels))
				if err := s.send(l, msg, labels); err != nil {
					return err
				}
				// The caller may reuse the map at once.
				labels["k"] = "after"
				delete(labels, "gone")
				labels["added"] = "later"
			}
			return s.expect(want)
		},
	},
	{
		name:        "labels-lent",
		explanation: "one labels map, emptied and refilled for each message as a host does for a plugin that borrows labels (api.Borrower), gives each record its own labels, from none to many",
		run: func(s *session) error {
			lent := map[string]string{}
			var want []Record
			for i, n := range []int{3, 0, 1, 20, 2, 8, 3} {
				clear(lent)
				for j := range n {
					lent[fmt.Sprintf("k%d", j)] = fmt.Sprintf("message %d label %d", i+1, j)
				}
				l := allLevels[i%len(allLevels)]
				msg := fmt.Sprintf("conformance: lent labels, message %d with %d labels", i+1, n)
				want = append(want, s.want(l, msg, lent))
				if err := s.send(l, msg, lent); err != nil {
					return err
				}
			}
			clear(lent) // as the host does before the next message
			return s.expect(want)
		},
	},
	{
		name:        "concurrent",
		explanation: fmt.Sprintf("%d goroutines calling every method at once, some sharing one labels map, lose, merge and garble no record", goroutines),
		run:         concurrent,
	},
	{
		name:         "configure-unknown-key",
		explanation:  "Configure rejects a key it does not know with an error that names the key",
		needs:        configurer,
		unconfigured: true,
		run: func(s *session) error {
			settings := maps.Clone(s.p.Settings)
			if settings == nil {
				settings = map[string]string{}
			}
			settings[unknownKey] = "1"
			var err error
			if gerr := guard("Configure", func() { err = s.l.(api.Configurer).Configure(settings) }); gerr != nil {
				return gerr
			}
			switch {
			case err == nil:
				return fmt.Errorf("Configure(%q) = nil, want an error naming %q", settings, unknownKey)
			case !strings.Contains(err.Error(), unknownKey):
				return fmt.Errorf("Configure(%q) = %q, want an error naming %q", settings, err, unknownKey)
			}
			return nil
		},
	},
	{
		name:         "configure-valid",
		explanation:  "Configure accepts valid settings (Plugin.Settings, or none) without changing them, and the plugin then writes records",
		needs:        configurer,
		unconfigured: true,
		run: func(s *session) error {
			settings := maps.Clone(s.p.Settings)
			if settings == nil {
				settings = map[string]string{}
			}
			before := maps.Clone(settings)
			var err error
			if gerr := guard("Configure", func() { err = s.l.(api.Configurer).Configure(settings) }); gerr != nil {
				return gerr
			}
			if err != nil {
				return fmt.Errorf("Configure(%q) = %v, want nil", before, err)
			}
			if !maps.Equal(settings, before) {
				return fmt.Errorf("Configure(%q) changed the map to %q", before, settings)
			}
			return sendAll(s, []message{{api.LevelInfo, "conformance: configured", map[string]string{"k": "v"}}})
		},
	},
	{
		name:        "flush-twice",
		explanation: "Flush may be called twice in a row, returns nil both times, and loses no record",
		needs:       flusher,
		run: func(s *session) error {
			msgs := []message{
				{api.LevelInfo, "conformance: before two flushes", nil},
				{api.LevelWarn, "conformance: after two flushes", nil},
			}
			if err := s.send(msgs[0].level, msgs[0].msg, msgs[0].labels); err != nil {
				return err
			}
			for range 2 {
				if err := s.flush(); err != nil {
					return err
				}
			}
			return sendAll(s, msgs[1:], msgs[0])
		},
	},
	{
		name:        "close-twice",
		explanation: "after Flush, Close returns nil, and a second Close neither panics nor fails; nothing accepted is lost",
		needs:       closer,
		run: func(s *session) error {
			msg := message{api.LevelInfo, "conformance: before close", map[string]string{"k": "v"}}
			if err := s.send(msg.level, msg.msg, msg.labels); err != nil {
				return err
			}
			if err := s.flush(); err != nil {
				return err
			}
			if err := s.close(); err != nil {
				return err
			}
			if err := s.close(); err != nil {
				return fmt.Errorf("second call: %w", err)
			}
			got, err := s.result()
			if err != nil {
				return err
			}
			return compare(got, []Record{s.want(msg.level, msg.msg, msg.labels)})
		},
	},
	{
		name:        "after-close",
		explanation: "after Close, every method returns without panicking or blocking (what it does is up to the plugin)",
		needs:       closer,
		run: func(s *session) error {
			if err := s.close(); err != nil {
				return err
			}
			var errs []error
			for _, l := range allLevels {
				errs = append(errs, s.send(l, "conformance: after close", map[string]string{"k": "v"}))
			}
			errs = append(errs, guard("Flush()", func() { _ = api.Flush(s.l) }))
			errs = append(errs, guard("Describe()", func() { api.Describe(s.l, "") }))
			if c, ok := s.l.(api.Configurer); ok {
				errs = append(errs, guard("Configure", func() { _ = c.Configure(map[string]string{}) }))
			}
			errs = append(errs, guard("Close()", func() { _ = api.Close(s.l) }))
			return wrapAll("after Close: ", errs)
		},
	},
	{
		name:        "setting-keys",
		explanation: "SettingKeys lists every key of Plugin.Settings, and not the key no plugin knows",
		needs:       keyLister,
		run: func(s *session) error {
			var keys []string
			if err := guard("SettingKeys()", func() { keys = s.l.(api.SettingKeyLister).SettingKeys() }); err != nil {
				return err
			}
			for k := range s.p.Settings {
				if !slices.Contains(keys, k) {
					return fmt.Errorf("SettingKeys() = %q, which lacks %q, a key of Plugin.Settings", keys, k)
				}
			}
			if slices.Contains(keys, unknownKey) {
				return fmt.Errorf("SettingKeys() = %q, which has %q", keys, unknownKey)
			}
			return nil
		},
	},
	{
		name:        "failures-none",
		explanation: "Failures reports 0 and nil for a plugin whose writes all succeeded, before and after Flush",
		needs:       failureCounter,
		run: func(s *session) error {
			check := func(when string) error {
				var n uint64
				var last error
				if err := guard("Failures()", func() { n, last = s.l.(api.FailureCounter).Failures() }); err != nil {
					return err
				}
				if n != 0 || last != nil {
					return fmt.Errorf("%s: Failures() = %d, %v; want 0, nil: every write went to the output", when, n, last)
				}
				return nil
			}
			if err := check("before any message"); err != nil {
				return err
			}
			msgs := []message{{api.LevelInfo, "conformance: counted", map[string]string{"k": "v"}}}
			if err := sendAll(s, msgs); err != nil {
				return err
			}
			return check("after a message and Flush")
		},
	},
	{
		name:        "reopen",
		explanation: "Reopen between two messages loses neither, writes neither twice, and returns nil",
		needs:       reopener,
		run: func(s *session) error {
			msgs := []message{
				{api.LevelInfo, "conformance: before reopen", map[string]string{"k": "1"}},
				{api.LevelWarn, "conformance: after reopen", map[string]string{"k": "2"}},
			}
			if err := s.send(msgs[0].level, msgs[0].msg, msgs[0].labels); err != nil {
				return err
			}
			var err error
			if gerr := guard("Reopen()", func() { err = api.Reopen(s.l) }); gerr != nil {
				return gerr
			}
			if err != nil {
				return fmt.Errorf("Reopen() = %v, want nil", err)
			}
			return sendAll(s, msgs[1:], msgs[0])
		},
	},
	{
		name:        "describe",
		explanation: "Describe returns a non-empty, lower-case name without spaces or slashes, the same on every call",
		needs:       describer,
		run: func(s *session) error {
			var n1, v1, n2, v2 string
			if err := guard("Describe()", func() {
				d := s.l.(api.Describer)
				n1, v1 = d.Describe()
				n2, v2 = d.Describe()
			}); err != nil {
				return err
			}
			switch {
			case n1 == "":
				return errors.New(`Describe() returned the name "", want a short lower-case name such as "stdoutjson"`)
			case n1 != strings.ToLower(n1) || strings.ContainsFunc(n1, func(r rune) bool { return unicode.IsSpace(r) || r == '/' || r == '\\' }):
				return fmt.Errorf(`Describe() returned the name %q, want a short lower-case name without spaces or slashes, such as "stdoutjson"`, n1)
			case n1 != n2 || v1 != v2:
				return fmt.Errorf("Describe() returned %q, %q, then %q, %q; want the same every time", n1, v1, n2, v2)
			}
			return nil
		},
	},
}

// A message is one call of a method.
type message struct {
	level  api.Level
	msg    string
	labels map[string]string
}

// sendAll sends msgs in order, then checks that the plugin wrote one record
// for each, in order, after the records of before.
func sendAll(s *session, msgs []message, before ...message) error {
	var want []Record
	for _, m := range append(before, msgs...) {
		want = append(want, s.want(m.level, m.msg, m.labels))
	}
	for _, m := range msgs {
		if err := s.send(m.level, m.msg, m.labels); err != nil {
			return err
		}
	}
	return s.expect(want)
}

// concurrent is the case of many goroutines calling at once. The goroutines
// wait at a barrier so that their calls overlap; each calls every method in
// turn, half the time with one labels map that all of them share, and those
// of a plugin with Flush call it now and then too.
func concurrent(s *session) error {
	shared := map[string]string{"shared": "yes", "note": "one map for every goroutine"}
	var (
		want []Record
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	start := make(chan struct{})
	for g := range goroutines {
		var msgs []message
		for i := range perGoroutine {
			labels := shared
			if i%2 == 1 {
				labels = map[string]string{"goroutine": fmt.Sprint(g), "i": fmt.Sprint(i)}
			}
			m := message{allLevels[(g+i)%len(allLevels)], fmt.Sprintf("conformance: goroutine %d message %d", g, i), labels}
			msgs = append(msgs, m)
			want = append(want, s.want(m.level, m.msg, m.labels))
		}
		wg.Go(func() {
			defer func() {
				if v := recover(); v != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("goroutine %d: the plugin panicked: %v", g, v))
					mu.Unlock()
				}
			}()
			<-start
			for i, m := range msgs {
				api.Send(s.l, m.level, m.msg, m.labels)
				if i%10 == 9 {
					if err := api.Flush(s.l); err != nil {
						mu.Lock()
						errs = append(errs, fmt.Errorf("goroutine %d: Flush() = %v, want nil", g, err))
						mu.Unlock()
					}
				}
			}
		})
	}
	if err := guard(fmt.Sprintf("%d goroutines sending %d messages each", goroutines, perGoroutine), func() {
		close(start)
		wg.Wait()
	}); err != nil {
		return err
	}
	got, err := s.records()
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	return errors.Join(append(errs, compareUnordered(got, want))...)
}

// wrapAll joins the non-nil errors, each with prefix.
func wrapAll(prefix string, errs []error) error {
	var out []error
	for _, err := range errs {
		if err != nil {
			out = append(out, fmt.Errorf("%s%w", prefix, err))
		}
	}
	return errors.Join(out...)
}
