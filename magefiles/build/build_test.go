package build

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const pluginSource = `package main

type logger struct{}

func (logger) Log(msg string, labels map[string]string)  {}
func (logger) Info(msg string, labels map[string]string) {}
func (logger) Warn(msg string, labels map[string]string) {}

func (logger) Describe() (string, string) { return "p", "VERSION" }

var LoggingPlugin logger
`

// TestPluginAtRebuildsChangedSource checks what `go tool mage build` and
// the integration tests rely on to never load a stale plugin: a change to
// the source relinks the plugin, and no change relinks nothing.
func TestPluginAtRebuildsChangedSource(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":  "module example.com/stale\n\ngo 1.26\n",
		"main.go": strings.Replace(pluginSource, "VERSION", "v1", 1),
	})
	out := filepath.Join(t.TempDir(), "p.so")
	build := func(step string, wantRelinked bool) string {
		t.Helper()
		a, err := PluginAt(ctx, dir, out, []string{"GOWORK=off"}, nil)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if a.Relinked != wantRelinked {
			t.Errorf("%s: Relinked = %v, want %v", step, a.Relinked, wantRelinked)
		}
		return fileHash(out)
	}
	first := build("first build", true)
	if again := build("no change", false); again != first {
		t.Errorf("no change: the plugin's contents changed")
	}
	// A new modification time alone changes nothing.
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(dir, "main.go"), later, later); err != nil {
		t.Fatal(err)
	}
	build("touched", false)

	writeFiles(t, dir, map[string]string{"main.go": strings.Replace(pluginSource, "VERSION", "v2", 1)})
	if changed := build("changed source", true); changed == first {
		t.Errorf("changed source: the plugin is the same as before")
	}
	build("no change after the change", false)
}

// TestAllTwiceRelinksNothing checks that a second `go tool mage build` with
// nothing changed relinks neither the host nor any plugin.
func TestAllTwiceRelinksNothing(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"go.work":                  "go 1.26\n\nuse (\n\t./host\n\t./plugins/a\n\t./plugins/b\n)\n",
		"host/go.mod":              "module example.com/host\n\ngo 1.26\n",
		"host/cmd/logplug/main.go": "package main\n\nfunc main() {}\n",
		"plugins/a/go.mod":         "module example.com/plugins/a\n\ngo 1.26\n",
		"plugins/a/main.go":        pluginSource,
		"plugins/b/go.mod":         "module example.com/plugins/b\n\ngo 1.26\n",
		"plugins/b/main.go":        strings.Replace(pluginSource, "VERSION", "b", 1),
	})
	t.Setenv("GOWORK", filepath.Join(root, "go.work"))
	for i, wantRelinked := range []bool{true, false} {
		arts, err := All(ctx, root)
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, a := range arts {
			paths = append(paths, a.Path)
			if a.Relinked != wantRelinked {
				t.Errorf("build %d: %s: Relinked = %v, want %v", i+1, a.Path, a.Relinked, wantRelinked)
			}
		}
		want := "bin/logplug bin/plugins/a.so bin/plugins/b.so"
		if got := filepath.ToSlash(strings.Join(paths, " ")); got != want {
			t.Errorf("build %d built %s, want %s", i+1, got, want)
		}
	}
}

func TestQuote(t *testing.T) {
	got := Quote([]string{"-root", "/a b", "-goflags=-trimpath -buildvcs=false", "it's"})
	want := []string{"-root", "'/a b'", "'-goflags=-trimpath -buildvcs=false'", `'it'\''s'`}
	if !slices.Equal(got, want) {
		t.Errorf("Quote = %q, want %q", got, want)
	}
}
