// Package testtools installs the programs the integration tests drive that
// Go does not build: for now logrotate, which the test of SIGHUP runs the
// way an operator's cron job does.
//
// On Linux, a tool missing from PATH is installed with apt-get when the
// process runs as root (as CI does here); otherwise, or where apt-get is not
// there, Ensure prints how to install it and leaves the decision to the
// test, which skips (or, with CI=true, fails) without it.
package testtools

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
)

// A Tool is a program the integration tests run.
type Tool struct {
	// Command is the program's name on PATH.
	Command string
	// Debian is the Debian package that installs it.
	Debian string
	// Brew is the Homebrew formula that installs it, for the hint printed
	// on macOS.
	Brew string
	// Why says which test needs it.
	Why string
}

// Tools are the programs the integration tests need.
var Tools = []Tool{
	{Command: "logrotate", Debian: "logrotate", Brew: "logrotate", Why: "TestLogrotateReopensOnSIGHUP"},
}

// System is what Ensure needs of the machine; tests replace it.
type System struct {
	// GOOS is the operating system, as runtime.GOOS names it.
	GOOS string
	// Root reports whether the process runs as root.
	Root bool
	// LookPath finds a program, as exec.LookPath does.
	LookPath func(string) (string, error)
	// Run runs a command and returns its combined output.
	Run func(ctx context.Context, name string, args ...string) ([]byte, error)
}

// Host is this machine.
func Host() System {
	return System{
		GOOS:     runtime.GOOS,
		Root:     os.Geteuid() == 0,
		LookPath: exec.LookPath,
		Run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
			cmd := exec.CommandContext(ctx, name, args...)
			// apt-get asks no questions without a terminal, but debconf
			// may still try one.
			cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
			return cmd.CombinedOutput()
		},
	}
}

// Ensure makes each tool available, printing one line per tool it installs
// or can't, to w. It fails only when an install it tried failed.
func Ensure(ctx context.Context, sys System, tools []Tool, w io.Writer) error {
	for _, tool := range tools {
		if _, err := sys.LookPath(tool.Command); err == nil {
			continue
		}
		if err := ensure(ctx, sys, tool, w); err != nil {
			return err
		}
	}
	return nil
}

// ensure installs one missing tool, or says how to.
func ensure(ctx context.Context, sys System, tool Tool, w io.Writer) error {
	missing := fmt.Sprintf("%s is not on PATH; %s skips without it (and fails with CI=true)", tool.Command, tool.Why)
	switch {
	case sys.GOOS == "darwin" && tool.Brew != "":
		fmt.Fprintf(w, "%s: install it with `brew install %s`\n", missing, tool.Brew)
		return nil
	case sys.GOOS != "linux":
		fmt.Fprintf(w, "%s\n", missing)
		return nil
	case !sys.Root:
		fmt.Fprintf(w, "%s: install it with `sudo apt-get install %s` (Debian, Ubuntu)\n", missing, tool.Debian)
		return nil
	}
	if _, err := sys.LookPath("apt-get"); err != nil {
		fmt.Fprintf(w, "%s, and there is no apt-get to install it with: install the package that has it\n", missing)
		return nil
	}
	fmt.Fprintf(w, "installing %s: apt-get install -y %s\n", tool.Command, tool.Debian)
	out, err := sys.Run(ctx, "apt-get", "install", "-y", tool.Debian)
	if err != nil && WantsLists(out) {
		fmt.Fprintf(w, "apt-get has no current package lists: apt-get update\n")
		if uout, uerr := sys.Run(ctx, "apt-get", "update"); uerr != nil {
			return fmt.Errorf("apt-get update: %w\n%s", uerr, uout)
		}
		out, err = sys.Run(ctx, "apt-get", "install", "-y", tool.Debian)
	}
	if err != nil {
		return fmt.Errorf("apt-get install -y %s: %w\n%s", tool.Debian, err, out)
	}
	if _, err := sys.LookPath(tool.Command); err != nil {
		return fmt.Errorf("apt-get installed %s, but %s is still not on PATH: %w", tool.Debian, tool.Command, err)
	}
	return nil
}

// listsMissing are what apt-get says when its package lists are missing or
// out of date: it knows no such package, or the files the lists name are
// gone from the mirror.
var listsMissing = []string{
	"Unable to locate package",
	"has no installation candidate",
	"Failed to fetch",
	"maybe run apt-get update",
}

// WantsLists reports whether apt-get's output says that it failed for want
// of current package lists, which `apt-get update` fetches.
func WantsLists(out []byte) bool {
	for _, s := range listsMissing {
		if bytes.Contains(out, []byte(s)) {
			return true
		}
	}
	return false
}
