// Package benchrun runs the benchmark harness for `go tool mage bench`. The
// harness is the command bench/cmd/bench of the bench module, a module
// outside go.work (its dependencies, such as go-plugin, must never reach
// the build list of the host or of a plugin), so it is run with go run and
// GOWORK=off. It takes from this side what must be defined once: the paths
// of the host and the plugins that package build built, and the build flags
// they were built with, which it needs for the test binaries that load
// them.
//
// Settings come from the environment, read in this file only:
//
//   - LOGPLUG_BENCH_SHORT: set to any value, one round over fewer lines and
//     no cold build, writing ShortReport instead of Report: a check that
//     everything runs, whose figures are not those the goals are stated
//     for.
//   - LOGPLUG_BENCH_KEEP: set to any value, the harness keeps its temporary
//     folder (the copies of the plugins, the test binaries, the input) and
//     says where it is.
//   - LOGPLUG_GOFLAGS, read by package build, is part of the build flags.
package benchrun

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/logplug/logplug/magefiles/build"
)

// Module is the folder of the bench module, relative to the repository
// root, and Command the harness's main package in it.
const (
	Module  = "bench"
	Command = "./cmd/bench"
)

// Report is the file, relative to the repository root, that a full run
// writes; ShortReport is the one a short run writes, beside the profile
// in OutDir.
const (
	Report      = "BENCHMARKS.md"
	OutDir      = build.BinDir + "/bench"
	ShortReport = OutDir + "/BENCHMARKS-short.md"
)

// Environment variables that SettingsFromEnv reads.
const (
	shortEnv = "LOGPLUG_BENCH_SHORT"
	keepEnv  = "LOGPLUG_BENCH_KEEP"
)

// Settings say how the harness runs.
type Settings struct {
	// Short selects the short run.
	Short bool
	// Keep keeps the harness's temporary folder.
	Keep bool
}

// SettingsFromEnv returns the settings that $LOGPLUG_BENCH_SHORT and
// $LOGPLUG_BENCH_KEEP select.
func SettingsFromEnv() Settings {
	return Settings{Short: os.Getenv(shortEnv) != "", Keep: os.Getenv(keepEnv) != ""}
}

// Args returns the go command's arguments that run the harness, in the
// folder root/Module, on the repository at root, an absolute path.
func Args(root string, s Settings) []string {
	report := Report
	if s.Short {
		report = ShortReport
	}
	abs := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
	args := []string{"run", Command,
		"-root", root,
		"-host", abs(build.BinDir + "/logplug"),
		"-plugins", abs(build.BinDir + "/" + build.PluginsDir),
		"-outdir", abs(OutDir),
		"-goflags=" + strings.Join(build.GoFlags(), " "),
		"-o", abs(report),
	}
	if s.Short {
		args = append(args, "-short")
	}
	if s.Keep {
		args = append(args, "-keep")
	}
	return args
}

// Run runs the harness on the repository at root, which must hold the host
// and the plugins that build.All builds, printing the command and then its
// output as it comes. The harness prints the table and writes the report.
func Run(ctx context.Context, root string, s Settings, stdout, stderr io.Writer) error {
	root, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	args := Args(root, s)
	fmt.Fprintf(stdout, "GOWORK=off go %s (in %s)\n", strings.Join(build.Quote(args), " "), Module)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = filepath.Join(root, Module)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("bench (GOWORK=off go run %s in %s): %w", Command, Module, err)
	}
	return nil
}
