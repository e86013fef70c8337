package load

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/logplug/logplug/host/plugincheck"
)

// A stack as debug.Stack prints it in a recover after a panic in the init
// function of a package a plugin imports (GOTRACEBACK unset, so the
// runtime's doInit frames are hidden).
const initPanicStack = `goroutine 1 [running]:
runtime/debug.Stack()
	runtime/debug/stack.go:26 +0x5e
github.com/logplug/logplug/host/load.openPlugin.func1()
	github.com/logplug/logplug/host/load/open.go:156 +0xb4
panic({0x6da8a0?, 0x7f09e9a6d1c0?})
	runtime/panic.go:860 +0x14a
example.com/logplug-fixtures/internal/shaky.connect(...)
	example.com/logplug-fixtures/internal/shaky/shaky.go:20
example.com/logplug-fixtures/internal/shaky.init.0()
	example.com/logplug-fixtures/internal/shaky/shaky.go:13 +0x35
plugin.open({0x3f16b43d8000, 0x1b})
	plugin/plugin_dlopen.go:95 +0x53c
plugin.Open(...)
	plugin/plugin.go:84
github.com/logplug/logplug/host/load.openPlugin({0x3f16b43d8000, 0x1b})
	github.com/logplug/logplug/host/load/open.go:169 +0xf2
`

func TestInitPanicPackage(t *testing.T) {
	tests := []struct {
		name, stack, want string
	}{
		{"imported package", initPanicStack, "example.com/logplug-fixtures/internal/shaky"},
		{"GOTRACEBACK=system", strings.Replace(initPanicStack, "plugin.open({", "runtime.doInit1(0x7f09e9a6d1c0)\n\truntime/proc.go:8079 +0x4a7\nruntime.doInit(...)\n\truntime/proc.go:8070\nplugin.open({", 1),
			"example.com/logplug-fixtures/internal/shaky"},
		{"package-level variable of the main package", strings.Replace(initPanicStack, "example.com/logplug-fixtures/internal/shaky.init.0()", "example.com/p.init()", 1), "example.com/p"},
		{"escaped dot", strings.Replace(initPanicStack, "example.com/logplug-fixtures/internal/shaky.init.0()", "gopkg.in/yaml%2ev3.init.0()", 1), "gopkg.in/yaml.v3"},
		{"panic in plugin.open itself", strings.Replace(initPanicStack, "example.com/logplug-fixtures/internal/shaky.connect(...)\n\texample.com/logplug-fixtures/internal/shaky/shaky.go:20\nexample.com/logplug-fixtures/internal/shaky.init.0()\n\texample.com/logplug-fixtures/internal/shaky/shaky.go:13 +0x35\n", "", 1), ""},
		{"no plugin frame", "goroutine 1 [running]:\nmain.main()\n\tx.go:1\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := initPanicPackage([]byte(tt.stack)); got != tt.want {
				t.Errorf("initPanicPackage = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadRefusesPluginsAfterAnInitPanic(t *testing.T) {
	// A registry must not open a plugin that links a package whose init
	// panicked; it refuses it before plugin.Open, so the files need not
	// exist.
	reg := NewRegistry(&plugincheck.Host{})
	reg.stuck = map[string]string{"example.com/f/internal/shaky": "plugins/panicdep.so"}
	candidate := func(pkgs map[string]string) *Candidate {
		return &Candidate{Path: "plugins/x.so", open: "plugins/x.so", File: &plugincheck.File{Path: "plugins/x.so", PluginPath: "example.com/f/skew", Packages: pkgs}}
	}
	tests := []struct {
		name string
		c    *Candidate
		want string
	}{
		{"links the package", candidate(map[string]string{"example.com/f/internal/shaky": "00"}),
			"plugins/x.so: links package example.com/f/internal/shaky, whose init panicked when plugins/panicdep.so was opened; opening it too would abort the process; fix: fix the init functions of example.com/f/internal/shaky and rebuild the plugins that link it, or remove panicdep.so"},
		{"packages unknown", candidate(nil),
			"plugins/x.so: can't be opened safely: an init function panicked when plugins/panicdep.so was opened, and this file's packages can't be read to rule out that it links the same package; fix: fix the init functions of panicdep.so, or remove it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := reg.open(tt.c)
			var le *Error
			if p != nil || !errors.As(err, &le) || len(le.Findings) == 0 {
				t.Fatalf("open = %v, %v; want an Error with findings", p, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
			if le.Fix != le.Findings[0].Fix || le.Err.Error() != le.Findings[0].Problem {
				t.Errorf("Err %q and Fix %q are not the first finding's", le.Err, le.Fix)
			}
		})
	}
	if _, ok := reg.byPath[realPath("plugins/x.so")]; ok {
		t.Error("a refused file was recorded as opened")
	}
}

func TestFindingsError(t *testing.T) {
	err := findingsError("plugins/x.so", []plugincheck.Finding{
		{File: "plugins/x.so", Problem: "is empty (0 bytes)", Fix: "rebuild it"},
		{File: "plugins/x.so", Problem: "is something else"},
	})
	if got, want := err.Error(), "plugins/x.so: is empty (0 bytes); fix: rebuild it\nplugins/x.so: is something else"; got != want {
		t.Errorf("error:\n%s\nwant:\n%s", got, want)
	}
	if err.Fix != "rebuild it" || err.Err.Error() != "is empty (0 bytes)" {
		t.Errorf("Err %q and Fix %q are not the first finding's", err.Err, err.Fix)
	}
}

func TestUniquePaths(t *testing.T) {
	dir := t.TempDir()
	got := UniquePaths([]string{dir + "/a.so", dir + "//a.so", dir + "/./b.so", dir + "/b.so", "rel.so", "./rel.so"})
	want := []string{dir + "/a.so", dir + "/./b.so", "rel.so"}
	if !slices.Equal(got, want) {
		t.Errorf("UniquePaths = %v, want %v", got, want)
	}
}
