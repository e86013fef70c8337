// Package build builds the logplug host and its plugins with one set of
// settings. It is the only place that defines how an artifact is built: the
// Mage targets and the integration tests both call it, so a plugin built by
// either loads into a host built by either.
//
// Settings come from the environment, read in this file only:
//
//   - LOGPLUG_GOFLAGS: extra flags for every go build, host and plugins
//     alike, separated by spaces (for example "-race" to build a host and
//     plugins that are all race-enabled).
//   - GOFLAGS, CGO_ENABLED and the other go command variables apply as
//     usual; CGO_ENABLED=0 is refused, since plugins need cgo.
package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Flags are the go build flags every artifact is built with, before any
// extra flags from LOGPLUG_GOFLAGS:
//
//   - -trimpath, so that binaries hold no local file paths and a plugin
//     built in any folder matches the host (the host's packages and the
//     plugin's must be compiled identically, and without -trimpath their
//     file paths differ);
//   - -buildvcs=false, so that a commit or an uncommitted edit elsewhere in
//     the repository does not relink every artifact.
var Flags = []string{"-trimpath", "-buildvcs=false"}

// extraFlagsEnv names the environment variable with extra build flags.
const extraFlagsEnv = "LOGPLUG_GOFLAGS"

// BinDir is the folder, relative to the repository root, that holds the
// built host; its plugins are in BinDir/plugins.
const BinDir = "bin"

// HostPackage is the host program's folder, relative to the repository
// root.
const HostPackage = "host/cmd/logplug"

// PluginsDir is the folder, relative to the repository root, whose
// subfolders holding a go.mod are the reference plugins.
const PluginsDir = "plugins"

// GoFlags returns the flags every artifact is built with: Flags followed by
// the extra flags from $LOGPLUG_GOFLAGS. A program that builds binaries to
// load the plugins, such as the benchmark harness in the bench module, gets
// them from here.
func GoFlags() []string {
	return append(append([]string(nil), Flags...), strings.Fields(os.Getenv(extraFlagsEnv))...)
}

// env returns the environment for go build: the current one with cgo on,
// which plugins need.
func env(extra ...string) ([]string, error) {
	if v := os.Getenv("CGO_ENABLED"); v == "0" {
		return nil, errors.New("CGO_ENABLED=0: Go plugins need cgo; unset it or set CGO_ENABLED=1 (and install a C compiler)")
	}
	return append(append(os.Environ(), "CGO_ENABLED=1"), extra...), nil
}

// An Artifact is one built file.
type Artifact struct {
	// Path is the file, relative to the repository root.
	Path string
	// Took is how long its go build ran.
	Took time.Duration
	// Relinked reports whether go build wrote the file anew; false means it
	// was up to date.
	Relinked bool
}

// String formats the artifact as one line for a build log.
func (a Artifact) String() string {
	state := "built"
	if !a.Relinked {
		state = "up to date"
	}
	return fmt.Sprintf("%-32s %-10s %6.2fs", a.Path, state, a.Took.Seconds())
}

// Host builds the host program at root/BinDir/logplug.
func Host(ctx context.Context, root string) (Artifact, error) {
	return Program(ctx, root, HostPackage, filepath.Join(BinDir, "logplug"))
}

// PluginModules returns the folders under root/PluginsDir that hold a
// go.mod, relative to root and sorted.
func PluginModules(root string) ([]string, error) {
	mods, err := filepath.Glob(filepath.Join(root, PluginsDir, "*", "go.mod"))
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, m := range mods {
		rel, err := filepath.Rel(root, filepath.Dir(m))
		if err != nil {
			return nil, err
		}
		dirs = append(dirs, filepath.ToSlash(rel))
	}
	sort.Strings(dirs)
	return dirs, nil
}

// Plugin builds the plugin whose main package is in root/dir at
// root/BinDir/plugins/NAME.so, NAME being the folder's base name.
func Plugin(ctx context.Context, root, dir string) (Artifact, error) {
	out := filepath.Join(BinDir, PluginsDir, filepath.Base(dir)+".so")
	return goBuild(ctx, root, out, nil, []string{"-buildmode=plugin"}, "./"+dir)
}

// PluginAt builds the main package in the folder dir as a plugin at out,
// with the same settings as Plugin and the extra environment variables and
// flags given (GOWORK=off, say, for a module outside the workspace, or
// -race to build a deliberately mismatched plugin). The go command runs in
// dir; out may be relative to it.
func PluginAt(ctx context.Context, dir, out string, extraEnv, extraFlags []string) (Artifact, error) {
	return goBuild(ctx, dir, out, extraEnv, append([]string{"-buildmode=plugin"}, extraFlags...), ".")
}

// goBuild runs go build of pkg in dir, writing out.
func goBuild(ctx context.Context, dir, out string, extraEnv, extraFlags []string, pkg string) (Artifact, error) {
	return goCommand(ctx, "build", dir, out, extraEnv, extraFlags, pkg)
}

// goCommand runs go VERB (build, or test with -c) of pkg in dir, writing
// out.
func goCommand(ctx context.Context, verb, dir, out string, extraEnv, extraFlags []string, pkg string) (Artifact, error) {
	a := Artifact{Path: out}
	environ, err := env(extraEnv...)
	if err != nil {
		return a, err
	}
	// extraFlags come last, so that they can override Flags (-trimpath=false).
	args := append([]string{verb}, GoFlags()...)
	args = append(args, extraFlags...)
	args = append(args, "-o", out, pkg)

	target := out
	if !filepath.IsAbs(target) {
		target = filepath.Join(dir, out)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return a, err
	}
	before := fileHash(target)
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Env = dir, environ
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	err = cmd.Run()
	a.Took = time.Since(start)
	if err != nil {
		return a, fmt.Errorf("go %s (in %s): %w\n%s", strings.Join(Quote(args), " "), dir, err, stderr.Bytes())
	}
	after := fileHash(target)
	if after == "" {
		return a, fmt.Errorf("go %s wrote no %s", verb, target)
	}
	// go build touches an up-to-date target without rewriting it, so
	// compare contents, not times.
	a.Relinked = after != before
	return a, nil
}

// fileHash returns the SHA-256 of a file's contents in hex, or "" if it
// can't be read.
func fileHash(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// All builds the host and every plugin module under root, the plugins two
// at a time, and returns the artifacts in a fixed order: the host, then the
// plugins sorted by name.
func All(ctx context.Context, root string) ([]Artifact, error) {
	dirs, err := PluginModules(root)
	if err != nil {
		return nil, err
	}
	arts := make([]Artifact, 1+len(dirs))
	errs := make([]error, len(arts))
	jobs := make(chan int)
	done := make(chan struct{})
	const workers = 2
	for range workers {
		go func() {
			for i := range jobs {
				if i == 0 {
					arts[i], errs[i] = Host(ctx, root)
				} else {
					arts[i], errs[i] = Plugin(ctx, root, dirs[i-1])
				}
			}
			done <- struct{}{}
		}()
	}
	for i := range arts {
		jobs <- i
	}
	close(jobs)
	for range workers {
		<-done
	}
	return arts, errors.Join(errs...)
}

// Modules returns the folders of the modules that root's go.work uses,
// relative to root, in the order go.work lists them.
func Modules(root string) ([]string, error) {
	cmd := exec.Command("go", "work", "edit", "-json")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("read go.work: %w", err)
	}
	var work struct{ Use []struct{ DiskPath string } }
	if err := json.Unmarshal(out, &work); err != nil {
		return nil, fmt.Errorf("read go.work: %w", err)
	}
	var dirs []string
	for _, u := range work.Use {
		dirs = append(dirs, filepath.ToSlash(filepath.Clean(u.DiskPath)))
	}
	return dirs, nil
}

// Quote quotes the arguments that a shell would split or expand, so that
// a command line printed with them can be pasted.
func Quote(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t'\"$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}
