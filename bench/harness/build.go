package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// hostPackage is the host program's folder, relative to the repository
// root: its tests hold BenchmarkPipeline.
const hostPackage = "host/cmd/logplug"

// A builder builds the programs and test binaries that load plugins, with
// the host's build flags. It does not define them: Mage passes them (see
// Config.GoFlags), from package build of the magefiles module, which builds
// the host and the plugins with the same flags.
type builder struct {
	flags []string
}

// An artifact is one file a builder built.
type artifact struct {
	path string
	took time.Duration
}

// plugin builds the main package in dir as a plugin at out.
func (b builder) plugin(ctx context.Context, dir, out string, env []string) (artifact, error) {
	return b.run(ctx, "build", dir, out, env, []string{"-buildmode=plugin"}, ".")
}

// program builds the main package pkg (such as "./cmd/x", relative to dir)
// as a program at out.
func (b builder) program(ctx context.Context, dir, pkg, out string, env []string) (artifact, error) {
	return b.run(ctx, "build", dir, out, env, nil, pkg)
}

// testBinary compiles the tests of package pkg (relative to dir) into the
// test binary out, with vet off, as for any binary built only to be run.
func (b builder) testBinary(ctx context.Context, dir, pkg, out string, env []string, flags ...string) (artifact, error) {
	return b.run(ctx, "test", dir, out, env, append([]string{"-c", "-vet=off"}, flags...), pkg)
}

// run runs go VERB with the builder's flags, then extra, in dir, with the
// extra environment variables env and cgo on, which plugins need.
func (b builder) run(ctx context.Context, verb, dir, out string, env, extra []string, pkg string) (artifact, error) {
	a := artifact{path: out}
	args := append([]string{verb}, b.flags...)
	args = append(args, extra...)
	args = append(args, "-o", out, pkg)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return a, err
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=1"), env...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	start := time.Now()
	err := cmd.Run()
	a.took = time.Since(start)
	if err != nil {
		return a, fmt.Errorf("%s go %s (in %s): %w\n%s", strings.Join(env, " "), strings.Join(args, " "), dir, err, output.Bytes())
	}
	return a, nil
}

// workspace returns the environment that makes a go command use the
// workspace of the repository at root, whatever GOWORK the harness itself
// runs with (GOWORK=off, since the bench module is outside the workspace).
func workspace(root string) []string {
	return []string{"GOWORK=" + filepath.Join(root, "go.work")}
}
