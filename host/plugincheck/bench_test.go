package plugincheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// buildPlugin builds a small plugin with the go command and returns its
// path. The host runs these checks before every plugin it loads, so their
// cost adds to the start-up time of every logplug command.
func buildPlugin(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	src := `package main

import "fmt"

type logger struct{}

func (logger) Log(msg string, labels map[string]string)  { fmt.Println(msg, labels) }
func (logger) Info(msg string, labels map[string]string) { fmt.Println(msg, labels) }
func (logger) Warn(msg string, labels map[string]string) { fmt.Println(msg, labels) }

var LoggingPlugin logger
`
	for name, data := range map[string]string{"go.mod": "module example.com/bench\n\ngo 1.26\n", "main.go": src} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	out := filepath.Join(dir, "bench.so")
	cmd := exec.Command("go", "build", "-buildmode=plugin", "-trimpath", "-o", out, ".")
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "GOWORK=off", "CGO_ENABLED=1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build a plugin to inspect: %v\n%s", err, msg)
	}
	return out
}

func BenchmarkInspect(b *testing.B) {
	path := buildPlugin(b)
	for b.Loop() {
		if f, fs := Inspect(path); len(fs) > 0 || f.Packages == nil || len(f.Exports) != 1 {
			b.Fatalf("Inspect = %+v, %v", f, fs)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	path := buildPlugin(b)
	f, _ := Inspect(path)
	// A host that matches the plugin and has all its packages.
	h := &Host{GOOS: f.GOOS, GOARCH: f.GOARCH, Build: f.Build, Packages: f.Packages}
	for b.Loop() {
		if r := h.Check([]string{path}); !r[0].OK() {
			b.Fatal(r[0].Findings)
		}
	}
}
