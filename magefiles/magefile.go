//go:build mage

// The Mage targets of logplug. Run them from the repository root with
// `go tool mage TARGET`; `go tool mage -l` lists them. The work is done by
// package build, which the integration tests use too, and package benchrun,
// which runs the benchmark harness of the bench module; this file only wires
// targets to them.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/logplug/logplug/magefiles/benchrun"
	"github.com/logplug/logplug/magefiles/build"
)

// Default is the target run by a bare `go tool mage`.
var Default = Build

// Build builds bin/logplug and bin/plugins/NAME.so for every module under plugins/ (reads LOGPLUG_GOFLAGS).
func Build(ctx context.Context) error {
	arts, err := build.All(ctx, ".")
	for _, a := range arts {
		if a.Path != "" && a.Took > 0 {
			fmt.Println(a)
		}
	}
	return err
}

// Demo builds everything, then runs the real host with all four plugins side by side: an emit and a short run.
func Demo(ctx context.Context) error {
	mg.CtxDeps(ctx, Build)
	host := filepath.Join(build.BinDir, "logplug")
	plugins := filepath.Join(build.BinDir, build.PluginsDir)
	logFile := filepath.Join(build.BinDir, "demo", "app.log")
	if err := os.RemoveAll(filepath.Dir(logFile)); err != nil {
		return err
	}
	// The file plugin needs a path; the others write to standard output,
	// zerolog in its console format.
	pluginFlags := []string{"--plugins", plugins, "--set", "file.path=" + logFile, "--set", "zerolog.format=console"}
	input := strings.Join([]string{
		`{"level":"info","msg":"service started","port":"8080"}`,
		`{"level":"warn","msg":"slow request","path":"/search","ms":412}`,
		`a plain line of text`,
		`{"level":"error","message":"database unreachable","retry":true}`,
	}, "\n") + "\n"
	steps := []struct {
		cmd   string
		args  []string
		stdin string
	}{
		{cmd: host, args: []string{"version"}},
		{cmd: host, args: append([]string{"list"}, pluginFlags...)},
		{cmd: host, args: append(append([]string{"emit"}, pluginFlags...), "--level", "warn", "--label", "user=ann", "--label", "disk=sda", "disk almost full")},
		{cmd: host, args: append([]string{"run"}, pluginFlags...), stdin: input},
		{cmd: "cat", args: []string{logFile}},
	}
	for _, s := range steps {
		fmt.Printf("\n$ %s %s", s.cmd, strings.Join(build.Quote(s.args), " "))
		if s.stdin != "" {
			fmt.Printf(" <<'EOF'\n%sEOF", s.stdin)
		}
		fmt.Println()
		cmd := exec.CommandContext(ctx, s.cmd, s.args...)
		cmd.Stdin = strings.NewReader(s.stdin)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %w", s.cmd, s.args[0], err)
		}
	}
	return nil
}

// Bench builds the host and plugins, then measures every performance goal with bench/cmd/bench, prints the results table and writes it to BENCHMARKS.md (reads LOGPLUG_BENCH_SHORT, LOGPLUG_BENCH_KEEP, LOGPLUG_GOFLAGS).
//
// It takes two to four minutes. With LOGPLUG_BENCH_SHORT set it takes one
// round over fewer lines, skips the cold build and writes
// bin/bench/BENCHMARKS-short.md instead: a check that everything runs,
// whose figures are not those the goals are stated for. With
// LOGPLUG_BENCH_KEEP set it keeps its temporary folder, with the copies of
// the plugins, the test binaries and the input, and says where it is. The
// harness is run as `GOWORK=off go run ./cmd/bench` in bench/, with the
// paths of what Build built and its build flags.
func Bench(ctx context.Context) error {
	mg.CtxDeps(ctx, Build)
	return benchrun.Run(ctx, ".", benchrun.SettingsFromEnv(), os.Stdout, os.Stderr)
}

// Clean removes bin/, the built host and plugins.
func Clean() error {
	fmt.Println("removing", build.BinDir)
	return os.RemoveAll(build.BinDir)
}

// Test groups the test targets.
type Test mg.Namespace

// Unit runs the unit tests of every module but integration, then those of api/plugintest and of every plugin again with -race, then those of the bench module with GOWORK=off.
func (Test) Unit(ctx context.Context) error {
	mods, err := build.Modules(".")
	if err != nil {
		return err
	}
	for _, m := range mods {
		if m == "integration" {
			continue
		}
		if err := goTest(ctx, m); err != nil {
			return err
		}
	}
	if err := goTestRace(ctx); err != nil {
		return err
	}
	// The bench module is outside the workspace (see bench/go.mod). Its
	// tests are the harness's; its benchmarks run only under go tool mage
	// bench (here they compile, and are not run).
	return goTestEnv(ctx, benchrun.Module, []string{"GOWORK=off"})
}

// Integration builds the host and plugins, then runs the integration tests against them.
func (Test) Integration(ctx context.Context) error {
	mg.CtxDeps(ctx, Build, Test.Tools)
	// Only the integration package itself: cmd/hammer, a program its
	// TestMain builds, has no tests of its own.
	return goTestPkgs(ctx, "integration", nil, []string{"."}, "-count=1")
}

// fuzzTargets are the fuzz tests Test.Fuzz runs, each for fuzzTime.
var fuzzTargets = []struct{ dir, pkg, name string }{
	{"host", "./internal/jsonline", "FuzzParse"},
	{"host", "./cmd/logplug", "FuzzLineReader"},
}

// fuzzTime is how long Test.Fuzz runs each fuzz test.
const fuzzTime = "10s"

// Fuzz runs each fuzz test (the parser and the splitter of run's input lines) for 10s, beyond its seed corpus.
func (Test) Fuzz(ctx context.Context) error {
	for _, f := range fuzzTargets {
		args := []string{"test", "-run=^$", "-fuzz=^" + f.name + "$", "-fuzztime=" + fuzzTime, f.pkg}
		fmt.Printf("go %s (in %s)\n", strings.Join(args, " "), f.dir)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = f.dir
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("fuzz %s: %w (a failing input is saved under %s/testdata/fuzz/%s)", f.name, err, filepath.Join(f.dir, f.pkg), f.name)
		}
	}
	return nil
}

// All runs every check: lint, the unit tests of every module, the fuzz tests briefly, then the integration tests.
func (Test) All(ctx context.Context) {
	mg.SerialCtxDeps(ctx, Lint, Test.Unit, Test.Fuzz, Test.Integration)
}

// goTest runs go test ./... in a module folder, printing its output as it
// comes.
func goTest(ctx context.Context, dir string, flags ...string) error {
	return goTestEnv(ctx, dir, nil, flags...)
}

// goTestEnv is goTest with extra environment variables.
func goTestEnv(ctx context.Context, dir string, env []string, flags ...string) error {
	return goTestPkgs(ctx, dir, env, []string{"./..."}, flags...)
}

// goTestPkgs runs go test on the packages pkgs of the module in dir, with
// extra environment variables, printing its output as it comes.
func goTestPkgs(ctx context.Context, dir string, env, pkgs []string, flags ...string) error {
	args := append([]string{"test"}, flags...)
	args = append(args, pkgs...)
	fmt.Printf("%sgo %s (in %s)\n", strings.Join(append(env, ""), " "), strings.Join(args, " "), dir)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go test in %s: %w", dir, err)
	}
	return nil
}

// Examples builds the example programs under host/examples into bin/examples, with the plugins' settings (reads LOGPLUG_GOFLAGS).
func Examples(ctx context.Context) error {
	names, err := build.ExampleNames(".")
	if err != nil {
		return err
	}
	for _, name := range names {
		a, err := build.Example(ctx, ".", name)
		if err != nil {
			return err
		}
		fmt.Println(a)
	}
	return nil
}
