package host

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
github.com/logplug/logplug/host.open.func1()
	github.com/logplug/logplug/host/load.go:156 +0xb4
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
github.com/logplug/logplug/host.open({0x3f16b43d8000, 0x1b})
	github.com/logplug/logplug/host/load.go:169 +0xf2
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
	// loadLocked must not open a plugin that links a package whose init
	// panicked, nor one with a main package path the runtime holds; it
	// refuses them before plugin.Open, so the files need not exist.
	saved := opened.stuck
	savedPaths := opened.pluginPaths
	defer func() { opened.stuck, opened.pluginPaths = saved, savedPaths }()
	opened.stuck = map[string]string{"example.com/f/internal/shaky": "plugins/panicdep.so"}
	opened.pluginPaths = map[string]string{"example.com/f/article": "plugins/article.so"}

	result := func(pp string, pkgs map[string]string) plugincheck.Result {
		return plugincheck.Result{File: &plugincheck.File{Path: "plugins/x.so", PluginPath: pp, Packages: pkgs}}
	}
	tests := []struct {
		name string
		r    plugincheck.Result
		want string
	}{
		{"links the package", result("example.com/f/skew", map[string]string{"example.com/f/internal/shaky": "00"}),
			"plugins/x.so: links package example.com/f/internal/shaky, whose init panicked when plugins/panicdep.so was opened; opening it too would abort the process; fix: fix the init functions of example.com/f/internal/shaky and rebuild the plugins that link it, or remove panicdep.so"},
		{"packages unknown", result("example.com/f/skew", nil),
			"plugins/x.so: can't be opened safely: an init function panicked when plugins/panicdep.so was opened, and this file's packages can't be read to rule out that it links the same package; fix: fix the init functions of panicdep.so, or remove it"},
		{"path already loaded", result("example.com/f/article", map[string]string{}),
			"plugins/x.so: is built from the same main package path, example.com/f/article, as plugins/article.so (loaded already); Go loads only one plugin per path; fix: rename the module of one of them (the module line of its go.mod) and rebuild it"},
		{"failed the checks", plugincheck.Result{File: &plugincheck.File{Path: "plugins/x.so"}, Findings: []plugincheck.Finding{
			{File: "plugins/x.so", Problem: "is empty (0 bytes)", Fix: "rebuild it"},
			{File: "plugins/x.so", Problem: "is something else"},
		}}, "plugins/x.so: is empty (0 bytes); fix: rebuild it\nplugins/x.so: is something else"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := loadLocked("plugins/x.so", "plugins/x.so", tt.r)
			var le *LoadError
			if p != nil || !errors.As(err, &le) || len(le.Findings) == 0 {
				t.Fatalf("loadLocked = %v, %v; want a LoadError with findings", p, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
			if le.Fix != le.Findings[0].Fix || le.Err.Error() != le.Findings[0].Problem {
				t.Errorf("Err %q and Fix %q are not the first finding's", le.Err, le.Fix)
			}
		})
	}
}

func TestUniquePaths(t *testing.T) {
	dir := t.TempDir()
	got := uniquePaths([]string{dir + "/a.so", dir + "//a.so", dir + "/./b.so", dir + "/b.so", "rel.so", "./rel.so"})
	want := []string{dir + "/a.so", dir + "/./b.so", "rel.so"}
	if !slices.Equal(got, want) {
		t.Errorf("uniquePaths = %v, want %v", got, want)
	}
}
