package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logplug/logplug/magefiles/build"
)

// Paths set up by TestMain.
var (
	// repoRoot is the repository root.
	repoRoot string
	// logplugBin is the built host program.
	logplugBin string
	// pluginsDir holds the built reference plugins.
	pluginsDir string
	// fixturesDir holds the built fixture plugins, NAME.so for each folder
	// under testdata/fixtures.
	fixturesDir string
	// hammerBin is the built cmd/hammer program.
	hammerBin string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	if repoRoot, err = filepath.Abs(".."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// logplug refuses plugins in group-writable folders; with a umask of
	// 002 (usual for users with a group of their own) the test folders
	// would be.
	syscall.Umask(0o022)
	logplugBin = filepath.Join(repoRoot, build.BinDir, "logplug")
	pluginsDir = filepath.Join(repoRoot, build.BinDir, build.PluginsDir)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	fmt.Fprintln(os.Stderr, "integration: building the host and plugins (as `go tool mage build` does)")
	arts, err := build.All(ctx, repoRoot)
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration: build failed; run `go tool mage build` from the repository root to see why:\n%v\n", err)
		return 1
	}
	for _, a := range arts {
		fmt.Fprintln(os.Stderr, "integration:", a)
	}

	dir, err := os.MkdirTemp("", "logplug-fixtures-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	fixturesDir = dir
	if err := buildFixtures(ctx, fixturesDir); err != nil {
		fmt.Fprintf(os.Stderr, "integration: %v\n", err)
		return 1
	}
	hammerBin = filepath.Join(fixturesDir, "hammer")
	if _, err := build.Program(ctx, repoRoot, "integration/cmd/hammer", hammerBin); err != nil {
		fmt.Fprintf(os.Stderr, "integration: %v\n", err)
		return 1
	}
	if err := buildCheckFolder(ctx, filepath.Join(dir, "check")); err != nil {
		fmt.Fprintf(os.Stderr, "integration: %v\n", err)
		return 1
	}
	return m.Run()
}

// buildFixtures builds every fixture plugin under testdata/fixtures into
// dir, with the host's settings, once per test run.
func buildFixtures(ctx context.Context, dir string) error {
	src, err := filepath.Abs(filepath.Join("testdata", "fixtures"))
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "internal" { // internal holds packages the fixtures import
			continue
		}
		out := filepath.Join(dir, e.Name()+".so")
		a, err := build.PluginAt(ctx, filepath.Join(src, e.Name()), out, []string{"GOWORK=off"}, nil)
		if err != nil {
			return fmt.Errorf("build fixture %s: %w", e.Name(), err)
		}
		fmt.Fprintln(os.Stderr, "integration: fixture", e.Name(), a.Took.Round(time.Millisecond))
	}
	return nil
}

// result is what one run of logplug did.
type result struct {
	stdout, stderr string
	code           int
}

// logplug runs the built host with args, feeding it stdin, and returns what
// it printed and its exit status.
func logplug(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, logplugBin, args...)
	cmd.Env = append(os.Environ(), "LOGPLUG_PLUGINS=")
	return runCmd(t, cmd, stdin)
}

// runCmd runs cmd with stdin as its standard input and returns what it
// printed and its exit status.
func runCmd(t *testing.T, cmd *exec.Cmd, stdin string) result {
	t.Helper()
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return resultOf(t, cmd, cmd.Run(), &stdout, &stderr)
}

// resultOf turns err, what waiting for cmd returned, and what cmd printed
// into a result. An error other than a non-zero exit fails the test.
func resultOf(t *testing.T, cmd *exec.Cmd, err error, stdout, stderr *bytes.Buffer) result {
	t.Helper()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run %s: %v", strings.Join(cmd.Args, " "), err)
	}
	return r
}

// pluginFolder makes a temporary plugin folder holding copies of the given
// files, each under its own base name, and returns it.
func pluginFolder(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		copyFile(t, f, filepath.Join(dir, filepath.Base(f)))
	}
	return dir
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// referencePlugin returns the path of a built reference plugin.
func referencePlugin(name string) string { return filepath.Join(pluginsDir, name+".so") }

// fixture returns the path of a built fixture plugin.
func fixture(name string) string { return filepath.Join(fixturesDir, name+".so") }
