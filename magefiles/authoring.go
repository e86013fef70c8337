//go:build mage

// Targets for plugin authors and for keeping the repository tidy: new
// plugins, lint, and the race-enabled runs of the conformance suite.

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/logplug/logplug/magefiles/build"
	"github.com/logplug/logplug/magefiles/lint"
	"github.com/logplug/logplug/magefiles/scaffold"
)

// Lint checks the code and the CI workflows: no tracked ELF or Mach-O file, gofmt, go vet and a GOWORK=off build of every module, and actionlint.
func Lint(ctx context.Context) error {
	return lint.Run(ctx, ".", os.Stdout)
}

// New groups the targets that start new code.
type New mg.Namespace

// Plugin creates plugins/NAME as a copy of plugins/stdoutjson (or of plugins/$LOGPLUG_TEMPLATE) with its own module path and name, adds it to go.work and builds it.
//
// NAME is lower-case letters, digits, '-' and '_', starting with a letter;
// a name that is taken is refused. The copy builds, passes its tests and
// the conformance suite, and loads into the host with no further edit:
//
//	go tool mage new:plugin myplugin
//	LOGPLUG_TEMPLATE=zerolog go tool mage new:plugin myzerolog
func (New) Plugin(ctx context.Context, name string) error {
	template := scaffold.Template()
	r, err := scaffold.Plugin(ctx, ".", name, template)
	if err != nil {
		return err
	}
	fmt.Printf("created %s from plugins/%s (module %s): %s\n", r.Dir, template, r.Module, strings.Join(r.Files, " "))
	fmt.Printf("added ./%s to go.work\n", r.Dir)
	a, err := build.Plugin(ctx, ".", r.Dir)
	if err != nil {
		return fmt.Errorf("%s was created but does not build: %w", r.Dir, err)
	}
	fmt.Println(a)
	fmt.Printf("next: edit %s/main.go; go test ./%s/...; go tool mage test:all\n", r.Dir, r.Dir)
	return nil
}

// raceTests returns the packages whose unit tests run again with -race:
// the conformance suite's own tests, and every plugin's tests (which run
// the suite), since the suite's concurrent and labels cases are only as
// good as the race detector that watches them.
func raceTests() ([]struct{ dir, pkgs string }, error) {
	tests := []struct{ dir, pkgs string }{{"api", "./plugintest/..."}}
	plugins, err := build.PluginModules(".")
	for _, p := range plugins {
		tests = append(tests, struct{ dir, pkgs string }{p, "./..."})
	}
	return tests, err
}

// goTestRace runs raceTests with -race, two packages and two threads at a
// time so that the runs stay small.
func goTestRace(ctx context.Context) error {
	tests, err := raceTests()
	if err != nil {
		return err
	}
	for _, r := range tests {
		args := []string{"test", "-race", "-p=2", "-cpu=2", r.pkgs}
		fmt.Printf("go %s (in %s)\n", strings.Join(args, " "), r.dir)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = r.dir
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go test -race in %s: %w", r.dir, err)
		}
	}
	return nil
}
