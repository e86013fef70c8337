// Package lint checks the repository's code and CI files: the work of
// `go tool mage lint`.
//
// The checks are that git tracks no ELF or Mach-O file (build outputs
// belong in bin/, which .gitignore ignores); gofmt on every Go file; go vet
// in every module; a build of every module on its own, with GOWORK=off, so
// that each still builds from its go.mod and go.sum alone as a copy outside
// the workspace would; and
// actionlint (github.com/rhysd/actionlint, run with `go tool`, pinned in
// tools/go.mod, a module outside the workspace) on the GitHub Actions
// workflows.
package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/logplug/logplug/magefiles/build"
)

// WorkflowsDir is the folder, relative to the repository root, of the
// GitHub Actions workflows.
const WorkflowsDir = ".github/workflows"

// Run runs every check on the repository at root, one after the other,
// printing one line per check to w. It runs them all, and returns every
// failure, joined.
func Run(ctx context.Context, root string, w io.Writer) error {
	mods, err := Modules(root)
	if err != nil {
		return err
	}
	var errs []error
	step := func(name string, err error) {
		if err != nil {
			fmt.Fprintf(w, "lint: %-48s FAIL\n", name)
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			return
		}
		fmt.Fprintf(w, "lint: %-48s ok\n", name)
	}
	step("no tracked binaries (git ls-files)", TrackedBinaries(ctx, root))
	step("gofmt -l", Gofmt(ctx, root))
	for _, m := range mods {
		step("go vet ("+m.Dir+")", Vet(ctx, root, m))
	}
	tmp, err := os.MkdirTemp("", "logplug-lint-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for i, m := range mods {
		out := filepath.Join(tmp, fmt.Sprint(i))
		step("GOWORK=off go build ("+m.Dir+")", BuildAlone(ctx, filepath.Join(root, m.Dir), out))
	}
	files, err := Workflows(root)
	if err == nil {
		err = Actionlint(ctx, filepath.Join(root, ToolsDir), files)
	}
	step("actionlint ("+WorkflowsDir+")", err)
	return errors.Join(errs...)
}

// A Module is a Go module of the repository.
type Module struct {
	// Dir is its folder, relative to the root, slash-separated.
	Dir string
	// InWorkspace reports whether go.work uses it. Modules outside the
	// workspace, such as the integration tests' fixtures, are checked with
	// GOWORK=off.
	InWorkspace bool
}

// Modules returns the modules of the repository at root: those go.work
// uses, in its order, then every other folder holding a go.mod, sorted.
// Folders whose names start with "." or "_", and root/bin, are skipped.
func Modules(root string) ([]Module, error) {
	dirs, err := build.Modules(root)
	if err != nil {
		return nil, err
	}
	var mods []Module
	for _, d := range dirs {
		mods = append(mods, Module{Dir: d, InWorkspace: true})
	}
	var others []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		// The tools module holds no code of ours, only tool requirements.
		if d.IsDir() && rel != "." && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") || rel == build.BinDir || rel == ToolsDir) {
			return filepath.SkipDir
		}
		if d.Name() == "go.mod" && !d.IsDir() {
			dir := filepath.ToSlash(filepath.Dir(rel))
			if !slices.Contains(dirs, dir) {
				others = append(others, dir)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(others)
	for _, d := range others {
		mods = append(mods, Module{Dir: d})
	}
	return mods, nil
}

// Gofmt fails, naming the files, when gofmt would reformat any Go file
// under root.
func Gofmt(ctx context.Context, root string) error {
	goroot, err := output(ctx, root, nil, "go", "env", "GOROOT")
	if err != nil {
		return err
	}
	gofmt := filepath.Join(strings.TrimSpace(goroot), "bin", "gofmt")
	out, err := output(ctx, root, nil, gofmt, "-l", ".")
	if err != nil {
		return err
	}
	if files := strings.Fields(out); len(files) > 0 {
		return fmt.Errorf("these files are not formatted; run gofmt -w on them: %s", strings.Join(files, " "))
	}
	return nil
}

// Vet runs go vet on every package of the module m of the repository at
// root, with the tag mage so that the magefile is vetted too.
func Vet(ctx context.Context, root string, m Module) error {
	var env []string
	if !m.InWorkspace {
		env = []string{"GOWORK=off"}
	}
	_, err := output(ctx, filepath.Join(root, m.Dir), env, "go", "vet", "-tags=mage", "./...")
	return err
}

// BuildAlone builds every package of the module in dir with GOWORK=off,
// writing what it builds under out: a main package without a main function
// is a plugin, built as package build builds plugins; the others are built
// with one go build.
func BuildAlone(ctx context.Context, dir, out string) error {
	env := []string{"GOWORK=off"}
	list, err := output(ctx, dir, env, "go", "list", "-json=Dir,ImportPath,Name,GoFiles", "./...")
	if err != nil {
		return err
	}
	var libs, cmds, plugins []string
	dec := json.NewDecoder(strings.NewReader(list))
	for dec.More() {
		var p struct {
			Dir, ImportPath, Name string
			GoFiles               []string
		}
		if err := dec.Decode(&p); err != nil {
			return fmt.Errorf("go list: %w", err)
		}
		switch {
		case len(p.GoFiles) == 0:
			// Tests only.
		case p.Name != "main":
			libs = append(libs, p.ImportPath)
		default:
			isPlugin, err := IsPlugin(p.Dir, p.GoFiles)
			if err != nil {
				return err
			}
			if isPlugin {
				plugins = append(plugins, p.Dir)
			} else {
				cmds = append(cmds, p.ImportPath)
			}
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	args := append([]string{"build"}, build.Flags...)
	if len(libs) > 0 {
		// go build discards what it builds for packages that are not main.
		if _, err := output(ctx, dir, env, "go", append(args, libs...)...); err != nil {
			return err
		}
	}
	if len(cmds) > 0 {
		args = append(args, "-o", out+string(filepath.Separator))
		if _, err := output(ctx, dir, env, "go", append(args, cmds...)...); err != nil {
			return err
		}
	}
	for _, p := range plugins {
		so := filepath.Join(out, filepath.Base(p)+".so")
		if _, err := build.PluginAt(ctx, p, so, env, nil); err != nil {
			return err
		}
	}
	return nil
}

// IsPlugin reports whether the main package made of files in dir is a
// plugin: one that declares no main function.
func IsPlugin(dir string, files []string) (bool, error) {
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, filepath.Join(dir, f), nil, parser.SkipObjectResolution)
		if err != nil {
			return false, err
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "main" {
				return false, nil
			}
		}
	}
	return true, nil
}

// Workflows returns the workflow files under root/WorkflowsDir, sorted.
func Workflows(root string) ([]string, error) {
	var files []string
	for _, pat := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(WorkflowsDir), pat))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no workflow files (*.yml) in %s", WorkflowsDir)
	}
	slices.Sort(files)
	return files, nil
}

// ToolsDir is the folder, relative to the root, of the module that pins
// the tools lint runs. It is not in go.work, so it is used with GOWORK=off.
const ToolsDir = "tools"

// Actionlint runs actionlint on files with `go tool actionlint` in
// toolsDir, the folder of a module whose go.mod declares the tool.
func Actionlint(ctx context.Context, toolsDir string, files []string) error {
	abs := make([]string, len(files))
	for i, f := range files {
		a, err := filepath.Abs(f)
		if err != nil {
			return err
		}
		abs[i] = a
	}
	_, err := output(ctx, toolsDir, []string{"GOWORK=off"}, "go", append([]string{"tool", "actionlint", "-no-color"}, abs...)...)
	return err
}

// output runs a command in dir with the extra environment variables env
// and returns its standard output; a failure includes everything it
// printed.
func output(ctx context.Context, dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		envs := strings.Join(env, " ")
		if envs != "" {
			envs += " "
		}
		return "", fmt.Errorf("%s%s %s (in %s): %w\n%s%s", envs, filepath.Base(name), strings.Join(args, " "), dir, err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String(), nil
}
