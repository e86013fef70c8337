package harness

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// templates are the files that the benchmarks add to copies of the code
// they measure: testdata/hooks/NAME.go, the output hook of plugin NAME;
// testdata/boundary_test.go, the benchmarks of goals 1 and 2; and
// testdata/static_pipeline_test.go, which links a copy of stdoutjson into
// the tests of host/cmd/logplug.
//
//go:embed testdata
var templates embed.FS

// hookFile is the name of the output hook's file in a copy of a plugin.
const hookFile = "zz_bench_output.go"

// Module paths of the packages the benchmarks need.
const (
	apiModule  = "github.com/logplug/logplug/api"
	hostModule = "github.com/logplug/logplug/host"
	// staticPackage is the import path of the copy of stdoutjson that
	// BenchmarkPipeline links in; its folder does not exist, the go command
	// sees it through -overlay.
	staticPackage = "host/internal/benchstatic"
	// staticTestFile is the test file that sets BenchmarkPipeline's static
	// logger, seen through -overlay.
	staticTestFile = "host/cmd/logplug/zz_static_pipeline_test.go"
)

// copyPlugin writes a copy of the plugin module in root/plugins/NAME to
// dst, as module mod: its non-test .go files, its go.sum, the output hook
// and the extra files given, and a go.mod that keeps every requirement but
// renames the module, requires the host module and points the replace
// directives for api and host at root. Two copies with different module
// paths can be linked into one process, one as a plugin and the other
// statically, and built from the same requirements they share every module
// version.
func copyPlugin(root, name, dst, mod string, extra map[string][]byte) error {
	src := filepath.Join(root, "plugins", name)
	hook, err := templates.ReadFile("testdata/hooks/" + name + ".go")
	if err != nil {
		return fmt.Errorf("no output hook for plugin %s: add testdata/hooks/%s.go", name, name)
	}
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		keep := n == "go.mod" || n == "go.sum" || (strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go"))
		if !keep || e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, n), data, 0o644); err != nil {
			return err
		}
	}
	files := map[string][]byte{hookFile: hook}
	for n, data := range extra {
		files[n] = data
	}
	for n, data := range files {
		if err := os.WriteFile(filepath.Join(dst, n), data, 0o644); err != nil {
			return err
		}
	}
	return editGoMod(dst, mod, map[string]string{
		apiModule:  filepath.Join(root, "api"),
		hostModule: filepath.Join(root, "host"),
	})
}

// editGoMod renames the module in dir/go.mod to mod, requires each module
// of replace at v0.0.0 and replaces it with the folder given.
func editGoMod(dir, mod string, replace map[string]string) error {
	args := []string{"mod", "edit", "-module=" + mod}
	for path, folder := range replace {
		args = append(args, "-require="+path+"@v0.0.0", "-replace="+path+"="+folder)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod edit in %s: %w\n%s", dir, err, out)
	}
	return nil
}

// staticOverlay writes, under dir, the files of an overlay that links a
// copy of the stdoutjson plugin into the tests of host/cmd/logplug: the
// plugin's non-test files and its output hook as package benchstatic,
// without func main, and the test file that hands its logger to
// BenchmarkPipeline. It returns the overlay file for go build's -overlay
// flag.
func staticOverlay(root, dir string) (string, error) {
	const name = "stdoutjson"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	replace := map[string]string{}
	src := filepath.Join(root, "plugins", name)
	paths, err := filepath.Glob(filepath.Join(src, "*.go"))
	if err != nil {
		return "", err
	}
	sources := map[string][]byte{}
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		sources[filepath.Base(p)] = data
	}
	if sources[hookFile], err = templates.ReadFile("testdata/hooks/" + name + ".go"); err != nil {
		return "", err
	}
	for file, data := range sources {
		lib, err := asLibrary(file, data, filepath.Base(staticPackage))
		if err != nil {
			return "", err
		}
		out := filepath.Join(dir, "benchstatic", file)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(out, lib, 0o644); err != nil {
			return "", err
		}
		replace[filepath.Join(root, staticPackage, file)] = out
	}
	test, err := templates.ReadFile("testdata/static_pipeline_test.go")
	if err != nil {
		return "", err
	}
	testOut := filepath.Join(dir, filepath.Base(staticTestFile))
	if err := os.WriteFile(testOut, test, 0o644); err != nil {
		return "", err
	}
	replace[filepath.Join(root, staticTestFile)] = testOut

	overlay, err := json.MarshalIndent(struct{ Replace map[string]string }{replace}, "", "\t")
	if err != nil {
		return "", err
	}
	file := filepath.Join(dir, "overlay.json")
	return file, os.WriteFile(file, overlay, 0o644)
}

// asLibrary turns a file of a plugin's main package into a file of package
// pkg: it renames the package and drops func main, the one thing that a
// main package may declare and another package may not need.
func asLibrary(file string, src []byte, pkg string) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	f.Name.Name = pkg
	decls := f.Decls[:0]
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "main" {
			f.Comments = slices.DeleteFunc(f.Comments, func(c *ast.CommentGroup) bool { return c == fn.Doc })
			continue
		}
		decls = append(decls, d)
	}
	f.Decls = decls
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, f); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return buf.Bytes(), nil
}
