package plugintest

import (
	"strings"
	"testing"
	"time"

	"github.com/logplug/logplug/api"
)

func TestCorrectFakesPass(t *testing.T) {
	tests := []struct {
		name string
		p    Plugin
	}{
		{"full", fakePlugin(false, "")},
		{"minimal", fakePlugin(true, "")},
		{"full, configured not to buffer", func() Plugin {
			p := fakePlugin(false, "")
			p.Settings = map[string]string{"buffer": "off"}
			return p
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := TestPlugin(tt.p); err != nil {
				t.Errorf("TestPlugin failed a correct plugin:\n%v", err)
			}
		})
	}
}

// TestRun runs the suite as a plugin author would, on correct fakes.
func TestRun(t *testing.T) {
	t.Run("full", func(t *testing.T) { Run(t, fakePlugin(false, "")) })
	t.Run("minimal", func(t *testing.T) { Run(t, fakePlugin(true, "")) })
}

// TestSkips checks that the cases for capabilities a plugin lacks are
// skipped, and say why.
func TestSkips(t *testing.T) {
	minimal, full := fakePlugin(true, ""), fakePlugin(false, "")
	wantSkipped := map[string]string{
		"debug":                 "has no Debug method",
		"error":                 "has no Error method",
		"configure-unknown-key": "has no Configure method",
		"configure-valid":       "has no Configure method",
		"flush-twice":           "has no Flush method",
		"close-twice":           "has no Close method",
		"after-close":           "has no Close method",
		"describe":              "has no Describe method",
		"failures-none":         "has no Failures method",
		"reopen":                "has no Reopen method",
		"setting-keys":          "has no SettingKeys method",
	}
	for _, c := range cases {
		skip, err := runCase(minimal, c)
		if err != nil {
			t.Errorf("minimal fake, case %s: %v", c.name, err)
		}
		if want := wantSkipped[c.name]; !strings.Contains(skip, want) || (want == "") != (skip == "") {
			t.Errorf("minimal fake, case %s: skip note %q, want one containing %q", c.name, skip, want)
		}
		if skip, _ := runCase(full, c); skip != "" {
			t.Errorf("full fake, case %s skipped: %s", c.name, skip)
		}
	}
}

// TestBrokenFakesAreCaught checks that each way of breaking the contract
// fails the case meant to catch it. Only that case runs: some broken fakes
// would also trip the race detector in other cases.
func TestBrokenFakesAreCaught(t *testing.T) {
	tests := []struct {
		bug     string
		minimal bool
		caught  string // by this case
		want    string // in its error
	}{
		{"drop-labels", false, "required-methods", `want log "conformance: log" {"method":"Log" "n":"1"}`},
		{"warn-as-info", false, "required-methods", `record 3 is info "conformance: warn"`},
		{"log-as-info", true, "required-methods", `record 1 is info "conformance: log"`},
		{"double", false, "required-methods", "6 records written, 3 expected"},
		{"reverse", false, "order", `record 1 is error "conformance: message 20 of 20"`},
		{"panic-on-nil", false, "nil-labels", "panicked: nil labels"},
		{"flatten-newlines", true, "text", `record 2 is warn "two lines\r and a\ttab"`},
		{"labels-as-fields", false, "label-names", `record 1 is log "label msg"`},
		{"rename-clashes", false, "label-prefixes", `labels: missing "label.level":"label label.level", missing "label.msg":"label label.msg"`},
		{"rename-clashes", true, "label-prefixes", `record 1 is log "conformance: label prefixes to Log"`},
		{"mutate", false, "labels-unchanged", "changed the map to"},
		{"keep", false, "labels-not-kept", `"k":"after"`},
		{"cache-by-map", false, "labels-lent", `"k0":"message 1 label 0"`},
		{"drop-concurrent", false, "concurrent", "missing record"},
		{"drop-concurrent", true, "concurrent", "missing record"},
		{"accept-anything", false, "configure-unknown-key", `= nil, want an error naming "plugintest-unknown-key"`},
		{"vague-errors", false, "configure-unknown-key", `= "bad settings", want an error naming`},
		{"reject-everything", false, "configure-valid", "want nil"},
		{"flush-twice-fails", false, "flush-twice", "Flush() = already flushed, want nil"},
		{"flush-discards", false, "flush-twice", "0 records written, 2 expected"},
		{"close-twice-panics", false, "close-twice", "second call: Close() panicked"},
		{"block-after-close", false, "after-close", "after Close: Log(\"conformance: after close\", map[\"k\":\"v\"]) blocked"},
		{"failures-invented", false, "failures-none", "before any message: Failures() = 1, write: invented; want 0, nil"},
		{"keys-incomplete", false, "setting-keys", `lacks "buffer"`},
		{"reopen-discards", false, "reopen", "1 records written, 2 expected"},
		{"no-name", false, "describe", `returned the name ""`},
		{"spaced-name", false, "describe", `returned the name "My Plugin"`},
	}
	for _, tt := range tests {
		t.Run(tt.bug+" caught by "+tt.caught, func(t *testing.T) {
			if tt.bug == "block-after-close" {
				defer func(d time.Duration) { Timeout = d }(Timeout)
				Timeout = 100 * time.Millisecond
			}
			c := caseNamed(t, tt.caught)
			skip, err := runCase(fakePlugin(tt.minimal, tt.bug), c)
			if skip != "" {
				t.Fatalf("case skipped: %s", skip)
			}
			if err == nil {
				t.Fatalf("the suite passed a plugin with bug %q", tt.bug)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error lacks %q:\n%v", tt.want, err)
			}
		})
	}
}

func caseNamed(t *testing.T, name string) testCase {
	t.Helper()
	for _, c := range cases {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no case %q", name)
	return testCase{}
}

// TestFailuresAreJoined checks TestPlugin's error: one entry per failing
// case, each naming the case and its explanation.
func TestFailuresAreJoined(t *testing.T) {
	err := TestPlugin(fakePlugin(false, "warn-as-info"))
	if err == nil {
		t.Fatal("TestPlugin passed a plugin whose Warn writes info records")
	}
	msg := err.Error()
	for _, want := range []string{
		"required-methods: Log, Info and Warn each write one record with the message, level and labels given:\n",
		"order: records appear in the order of the calls that wrote them:\n",
		"concurrent: ",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "describe:") || strings.Contains(msg, "debug:") {
		t.Errorf("error names cases that should pass:\n%s", msg)
	}
	if u, ok := err.(interface{ Unwrap() []error }); !ok || len(u.Unwrap()) < 3 {
		t.Errorf("want the failures joined, one per case; got %T", err)
	}
}

// TestLevels checks Plugin.Levels: a plugin whose Log writes info records
// fails without it and passes with it.
func TestLevels(t *testing.T) {
	p := fakePlugin(true, "log-as-info")
	if err := TestPlugin(p); err == nil {
		t.Fatal("TestPlugin passed a plugin whose Log writes info records, without Levels")
	}
	p.Levels = map[api.Level]api.Level{api.LevelLog: api.LevelInfo}
	if err := TestPlugin(p); err != nil {
		t.Errorf("TestPlugin with Levels: %v", err)
	}
}

func TestBadPlugin(t *testing.T) {
	tests := []struct {
		name string
		p    Plugin
		want string
	}{
		{"no New", Plugin{Result: func() ([]Record, error) { return nil, nil }}, "Plugin.New is nil"},
		{"no Result", Plugin{New: func() api.Logger { return nil }}, "Plugin.Result is nil"},
		{"New returns nil", Plugin{New: func() api.Logger { return nil }, Result: func() ([]Record, error) { return nil, nil }},
			"required-methods: Log, Info and Warn each write one record with the message, level and labels given:\nNew() returned nil"},
		{"settings for a plugin without Configure", func() Plugin {
			p := fakePlugin(true, "")
			p.Settings = map[string]string{"buffer": "on"}
			return p
		}(), "Plugin.Settings is not empty, but the plugin has no Configure method"},
		{"invalid settings", func() Plugin {
			p := fakePlugin(false, "")
			p.Settings = map[string]string{"buffer": "sometimes"}
			return p
		}(), `Configure(map["buffer":"sometimes"]) = setting buffer="sometimes": want on or off, want nil`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := TestPlugin(tt.p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("TestPlugin = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestLabelDiff(t *testing.T) {
	tests := []struct {
		got, want map[string]string
		diff      string
	}{
		{map[string]string{"a": "1"}, map[string]string{"a": "1"}, ""},
		{nil, map[string]string{"a": "1"}, `missing "a":"1"`},
		{map[string]string{"a": "1"}, nil, `unexpected "a":"1"`},
		{map[string]string{"a": "2", "c": "3", "d": "4"}, map[string]string{"a": "1", "b": "2", "d": "4"},
			`"a" is "2", want "1", missing "b":"2", unexpected "c":"3"`},
	}
	for _, tt := range tests {
		if got := labelDiff(tt.got, tt.want); got != tt.diff {
			t.Errorf("labelDiff(%q, %q) = %s, want %s", tt.got, tt.want, got, tt.diff)
		}
	}
}

func TestRecordString(t *testing.T) {
	r := Record{Level: api.LevelWarn, Msg: "disk \"full\"", Labels: map[string]string{"b": "2", "a": "1"}}
	if got, want := r.String(), `warn "disk \"full\"" {"a":"1" "b":"2"}`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}
