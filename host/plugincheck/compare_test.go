package plugincheck

import (
	"bytes"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// buildInfo returns build information as the go command records it for a
// binary built with mode and the given settings on top of a host's usual
// ones (KEY=VALUE; an empty VALUE removes the setting).
func buildInfo(mode string, settings ...string) *debug.BuildInfo {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Path:      "example.com/p",
		Main:      debug.Module{Path: "example.com/p", Version: "(devel)"},
	}
	base := []string{"-buildmode=" + mode, "-compiler=gc", "-trimpath=true", "CGO_ENABLED=1", "GOARCH=amd64", "GOOS=linux", "GOAMD64=v1"}
	for _, kv := range append(base, settings...) {
		k, v, _ := strings.Cut(kv, "=")
		bi.Settings = slices.DeleteFunc(bi.Settings, func(s debug.BuildSetting) bool { return s.Key == k })
		if v != "" {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: k, Value: v})
		}
	}
	return bi
}

// testHost is a host built from the logplug workspace, linking api from a
// local folder and a published module.
func testHost() *Host {
	bi := buildInfo("exe")
	bi.Path, bi.Main.Path = "github.com/logplug/logplug/host/cmd/logplug", "github.com/logplug/logplug/host"
	bi.Deps = []*debug.Module{
		{Path: "github.com/logplug/logplug/api", Version: "(devel)"},
		{Path: "example.com/shared", Version: "v1.2.3", Sum: "h1:host="},
	}
	return &Host{GOOS: "linux", GOARCH: "amd64", Build: bi, Packages: map[string]string{
		"runtime":                        "0a14fe193ffcafc0",
		"fmt":                            "1111111111111111",
		"github.com/logplug/logplug/api": "54378f585be4fccf",
		"example.com/shared/x":           "2222222222222222",
	}}
}

// testPlugin is a plugin that loads into testHost, changed by change.
func testPlugin(change func(f *File)) *File {
	f := &File{
		Path: "p.so", Format: "ELF", GOOS: "linux", GOARCH: "amd64", Type: "shared library",
		Build: buildInfo("plugin"), PluginPath: "example.com/p",
		Exports:  []string{"LoggingPlugin"},
		Packages: map[string]string{"runtime": "0a14fe193ffcafc0", "fmt": "1111111111111111", "example.com/p": "3333333333333333"},
	}
	if change != nil {
		change(f)
	}
	return f
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *File)
		host   func(h *Host)
		want   []string // Finding.String() of each finding
	}{
		{"the same", nil, nil, nil},
		{"another Go version", func(f *File) {
			f.Build.GoVersion = "go1.26.7"
			f.Packages["runtime"] = "ffffffffffffffff"
		}, nil, []string{"p.so: is built with go1.26.7, the host with go1.26.8; fix: rebuild it with go1.26.8"}},
		{"without -trimpath", func(f *File) {
			f.Build = buildInfo("plugin", "-trimpath=")
		}, nil, []string{"p.so: is built without -trimpath, the host with -trimpath; fix: rebuild it with -trimpath"}},
		{"with -race", func(f *File) {
			f.Build = buildInfo("plugin", "-race=true")
		}, nil, []string{"p.so: is built with -race, the host without -race; fix: rebuild it without -race"}},
		{"with tags", func(f *File) {
			f.Build = buildInfo("plugin", "-tags=netgo,osusergo")
		}, nil, []string{"p.so: is built with -tags=netgo,osusergo, the host without -tags; fix: rebuild it without -tags"}},
		{"host with tags", nil, func(h *Host) {
			h.Build.Settings = append(h.Build.Settings, debug.BuildSetting{Key: "-tags", Value: "netgo"})
		}, []string{"p.so: is built without -tags, the host with -tags=netgo; fix: rebuild it with -tags=netgo"}},
		{"another architecture level", func(f *File) {
			f.Build = buildInfo("plugin", "GOAMD64=v3")
		}, nil, []string{"p.so: is built with GOAMD64=v3, the host with GOAMD64=v1; fix: rebuild it with GOAMD64=v1"}},
		{"an experiment", func(f *File) {
			f.Build = buildInfo("plugin", "GOEXPERIMENT=greenteagc")
		}, nil, []string{"p.so: is built with GOEXPERIMENT=greenteagc, the host with GOEXPERIMENT unset; fix: rebuild it with GOEXPERIMENT unset"}},
		{"gcflags with a space", func(f *File) {
			f.Build = buildInfo("plugin", "-gcflags=all=-N -l")
		}, nil, []string{"p.so: is built with -gcflags='all=-N -l', the host without -gcflags; fix: rebuild it without -gcflags"}},
		{"several at once", func(f *File) {
			f.Build = buildInfo("plugin", "-trimpath=", "-race=true")
			f.Build.GoVersion = "go1.25.0"
		}, nil, []string{
			"p.so: is built with go1.25.0, the host with go1.26.8; fix: rebuild it with go1.26.8",
			"p.so: is built without -trimpath, the host with -trimpath; fix: rebuild it with -trimpath",
			"p.so: is built with -race, the host without -race; fix: rebuild it without -race",
		}},
		{"host without cgo", nil, func(h *Host) {
			h.Build = buildInfo("exe", "CGO_ENABLED=0")
		}, []string{"p.so: can't be loaded by this host: it was built with CGO_ENABLED=0, and Go plugins need cgo; fix: rebuild the host with CGO_ENABLED=1 and a C compiler"}},
		{"another architecture", func(f *File) {
			f.GOARCH, f.Type = "arm64", "executable"
		}, nil, []string{"p.so: is built for another architecture: ELF executable for linux/arm64, the host runs on linux/amd64; fix: rebuild it for linux/amd64 (GOOS=linux GOARCH=amd64, with a C compiler for that platform)"}},
		{"another operating system", func(f *File) {
			f.Format, f.GOOS, f.Type = "Mach-O", "darwin", "bundle"
		}, nil, []string{"p.so: is built for another operating system: Mach-O bundle for darwin/amd64, the host runs on linux/amd64; fix: rebuild it for linux/amd64 (GOOS=linux GOARCH=amd64, with a C compiler for that platform)"}},
		{"not Go", func(f *File) {
			f.Build, f.PluginPath, f.Exports, f.Packages = nil, "", nil, nil
		}, nil, []string{"p.so: is not a Go plugin: it is a shared library without Go build information; fix: build the plugin with go build -buildmode=plugin, with go1.26.8 and the host's settings (logplug version prints them)"}},
		{"-pluginpath other than the main package's path", func(f *File) {
			f.PluginPath, f.PluginPathSet = "example.com/other", true
		}, nil, []string{"p.so: is linked with -pluginpath=example.com/other, not its main package's import path, example.com/p: Go would run its init functions, then look for example.com/other.LoggingPlugin and fail; fix: rebuild it without -ldflags=-pluginpath"}},
		{"a program", func(f *File) {
			f.Build, f.Type = buildInfo("exe"), "executable"
		}, nil, []string{"p.so: is a Go program (built with -buildmode=exe), not a plugin; fix: rebuild it with -buildmode=plugin"}},
		{"a C shared library built by Go", func(f *File) {
			f.Build = buildInfo("c-shared")
		}, nil, []string{"p.so: is a Go shared library (built with -buildmode=c-shared), not a plugin; fix: rebuild it with -buildmode=plugin"}},
		{"another version of a published module", func(f *File) {
			f.Build.Deps = []*debug.Module{{Path: "example.com/shared", Version: "v1.2.4", Sum: "h1:plugin="}}
		}, nil, []string{"p.so: links example.com/shared v1.2.4, the host v1.2.3; fix: require example.com/shared v1.2.3"}},
		{"a published module with another checksum", func(f *File) {
			f.Build.Deps = []*debug.Module{{Path: "example.com/shared", Version: "v1.2.3", Sum: "h1:other="}}
		}, nil, []string{"p.so: links example.com/shared v1.2.3 with checksum h1:other=, the host with checksum h1:host=; fix: require example.com/shared v1.2.3 as published (drop any replace of it, and check your GOPROXY and module cache)"}},
		{"a published module replaced by a folder", func(f *File) {
			f.Build.Deps = []*debug.Module{{Path: "example.com/shared", Version: "v1.2.3", Replace: &debug.Module{Path: "../shared", Version: "(devel)"}}}
			f.Packages["example.com/shared/x"] = "9999999999999999"
		}, nil, []string{"p.so: links example.com/shared v1.2.3 => ../shared, the host v1.2.3; package example.com/shared/x differs; fix: require example.com/shared v1.2.3, without a replace"}},
		{"the same published module", func(f *File) {
			f.Build.Deps = []*debug.Module{{Path: "example.com/shared", Version: "v1.2.3", Sum: "h1:host="}}
		}, nil, nil},
		{"a local module with the same packages", func(f *File) {
			f.Build.Deps = []*debug.Module{{Path: "github.com/logplug/logplug/api", Version: "v0.0.0", Replace: &debug.Module{Path: "../api", Version: "(devel)"}}}
			f.Packages["github.com/logplug/logplug/api"] = "54378f585be4fccf"
		}, nil, nil},
		{"a local module with other packages", func(f *File) {
			f.Build.Deps = []*debug.Module{{Path: "github.com/logplug/logplug/api", Version: "v0.0.0", Replace: &debug.Module{Path: "../apicopy", Version: "(devel)"}}}
			f.Packages["github.com/logplug/logplug/api"] = "0000000000000000"
		}, nil, []string{"p.so: links github.com/logplug/logplug/api v0.0.0 => ../apicopy, the host a local copy (devel); package github.com/logplug/logplug/api differs; fix: link the host's copy of github.com/logplug/logplug/api: build it in the host's go.work workspace, or replace github.com/logplug/logplug/api with the folder the host was built from"}},
		{"a local module, fingerprints unknown", func(f *File) {
			f.Build.Deps = []*debug.Module{{Path: "github.com/logplug/logplug/api", Version: "v0.0.0", Replace: &debug.Module{Path: "../api", Version: "(devel)"}}}
			f.Packages = nil
		}, nil, []string{"p.so: links github.com/logplug/logplug/api v0.0.0 => ../api, the host a local copy (devel); fix: link the host's copy of github.com/logplug/logplug/api: build it in the host's go.work workspace, or replace github.com/logplug/logplug/api with the folder the host was built from"}},
		{"a package differs, nothing else", func(f *File) {
			f.Packages["fmt"] = "ffffffffffffffff"
		}, nil, []string{"p.so: links a different version of package fmt than the host; fix: rebuild it with go1.26.8, the host's settings (logplug version prints them) and the host's version of every module both use"}},
		{"two packages differ", func(f *File) {
			f.Packages["fmt"], f.Packages["runtime"] = "ffffffffffffffff", "ffffffffffffffff"
		}, nil, []string{"p.so: links a different version of package fmt than the host (and 1 more); fix: rebuild it with go1.26.8, the host's settings (logplug version prints them) and the host's version of every module both use"}},
		{"no LoggingPlugin", func(f *File) {
			f.Exports = []string{"Logger", "NewLogger"}
		}, nil, []string{"p.so: exports no LoggingPlugin; it exports Logger, NewLogger; fix: declare a package-level variable `var LoggingPlugin = yourLogger{}` in the plugin's main package"}},
		{"no exports at all", func(f *File) {
			f.Exports = []string{}
		}, nil, []string{"p.so: exports no LoggingPlugin; it exports nothing else; fix: declare a package-level variable `var LoggingPlugin = yourLogger{}` in the plugin's main package"}},
		{"exports unknown", func(f *File) { f.Exports = nil }, nil, nil},
		{"host without build information", func(f *File) {
			f.Build = buildInfo("plugin", "-race=true")
		}, func(h *Host) { h.Build = nil }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHost()
			if tt.host != nil {
				tt.host(h)
			}
			var got []string
			for _, f := range h.Compare(testPlugin(tt.change)) {
				got = append(got, f.String())
				if f.File != "p.so" {
					t.Errorf("finding names file %q, want p.so", f.File)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestCompareHaveWant(t *testing.T) {
	f := testPlugin(func(f *File) {
		f.Build = buildInfo("plugin", "-trimpath=")
		f.Build.Deps = []*debug.Module{{Path: "example.com/shared", Version: "v1.2.4"}}
	})
	got := testHost().Compare(f)
	want := []Finding{
		{File: "p.so", Have: "-trimpath=false", Want: "-trimpath=true"},
		{File: "p.so", Have: "example.com/shared v1.2.4", Want: "example.com/shared v1.2.3"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].Have != want[i].Have || got[i].Want != want[i].Want {
			t.Errorf("finding %d: have %q want %q; expected have %q want %q", i, got[i].Have, got[i].Want, want[i].Have, want[i].Want)
		}
	}
}

func TestComparePlugins(t *testing.T) {
	h := testHost()
	a := testPlugin(func(f *File) {
		f.Path = "a.so"
		f.Packages["example.com/zlog"] = "aaaaaaaaaaaaaaaa"
		f.Build.Deps = []*debug.Module{{Path: "example.com/zlog", Version: "v1.0.0"}}
	})
	b := testPlugin(func(f *File) {
		f.Path = "b.so"
		f.Packages["example.com/zlog"] = "bbbbbbbbbbbbbbbb"
		f.Build.Deps = []*debug.Module{{Path: "example.com/zlog", Version: "v1.1.0"}}
	})
	c := testPlugin(func(f *File) {
		f.Path = "c.so"
		f.Packages["example.com/zlog"] = "aaaaaaaaaaaaaaaa"
	})
	defined := map[string]definition{}
	if got := h.comparePlugins(a, defined); got != nil {
		t.Fatalf("a: %v, want nothing", got)
	}
	got := h.comparePlugins(b, defined)
	want := "b.so: links a different version of package example.com/zlog than a.so, which loads before it (example.com/zlog v1.1.0 here, v1.0.0 there); fix: require example.com/zlog v1.0.0 in both"
	if len(got) != 1 || got[0].String() != want {
		t.Errorf("b: %v\nwant %s", got, want)
	}
	if got := h.comparePlugins(c, defined); got != nil {
		t.Errorf("c, the same as a: %v, want nothing", got)
	}
	if d := defined["example.com/zlog"]; d.file != a {
		t.Errorf("example.com/zlog is defined by %v, want a.so", d.file.Path)
	}
}

func TestCollisions(t *testing.T) {
	file := func(path, pp string) *File { return &File{Path: path, PluginPath: pp} }
	results := []Result{
		{File: file("a.so", "example.com/x")},
		{File: file("b.so", "example.com/y")},
		{File: file("c.so", "example.com/x")},
		{File: file("d.so", "example.com/x"), Findings: []Finding{{File: "d.so", Problem: "is built with -race"}}},
		{File: file("e.so", "")},
		{File: file("f.so", "")},
	}
	samePath(results)
	var got []string
	for _, r := range results {
		for _, f := range r.Findings {
			got = append(got, f.String())
		}
	}
	want := []string{
		"a.so: is built from the same main package path, example.com/x, as c.so; Go loads only one plugin per path; fix: rename the module of one of them (the module line of its go.mod) and rebuild it",
		"c.so: is built from the same main package path, example.com/x, as a.so; Go loads only one plugin per path; fix: rename the module of one of them (the module line of its go.mod) and rebuild it",
		"d.so: is built with -race",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSymbolPrefix(t *testing.T) {
	tests := map[string]string{
		"main":                  "main.",
		"example.com/x/plugin":  "example.com/x/plugin.",
		"gopkg.in/yaml.v3":      "gopkg.in/yaml%2ev3.",
		"example.com/a.b/c.d.e": "example.com/a.b/c%2ed%2ee.",
		"":                      "",
	}
	for in, want := range tests {
		if got := symbolPrefix(in); got != want {
			t.Errorf("symbolPrefix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsExported(t *testing.T) {
	for name, want := range map[string]bool{
		"LoggingPlugin": true, "New": true, "Été": true, "X1_y": true,
		"logger": false, "T.Method": false, "(*T).Method": false, "init.0": false, "Func.func1": false, "": false, "..inittask": false,
	} {
		if got := isExported([]byte(name)); got != want {
			t.Errorf("isExported(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestIndexRare(t *testing.T) {
	tab := []byte("\x00example.com/p.init\x00example.com/p.LoggingPlugin\x00go:link.pkghashbytes.fmt\x00")
	for _, tt := range []struct {
		needle string
		want   int
	}{
		{"example.com/p.LoggingPlugin\x00", 20},
		{"example.com/p.", 1},
		{"go:link.pkghashbytes.", 48},
		{"kghash", 57},
		{"example.com/q.", -1},
		{"", 0},
	} {
		if got := indexRare(tab, []byte(tt.needle)); got != tt.want {
			t.Errorf("indexRare(%q) = %d, want %d", tt.needle, got, tt.want)
		}
		if got := bytes.Index(tab, []byte(tt.needle)); got != tt.want {
			t.Errorf("the test is wrong: bytes.Index(%q) = %d", tt.needle, got)
		}
	}
}
