package lint

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestModules(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"go.work":                       "go 1.26\n\nuse (\n\t./b\n\t./a\n)\n",
		"a/go.mod":                      "module example.com/a\n",
		"b/go.mod":                      "module example.com/b\n",
		"a/testdata/fixtures/go.mod":    "module example.com/fixtures\n",
		"bin/plugins/x/go.mod":          "module example.com/built\n",
		".hidden/go.mod":                "module example.com/hidden\n",
		"_scratch/go.mod":               "module example.com/scratch\n",
		"c/go.mod":                      "module example.com/c\n",
		"c/internal/not-a-module/x.txt": "",
	})
	got, err := Modules(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []Module{{"b", true}, {"a", true}, {"a/testdata/fixtures", false}, {"c", false}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Modules = %v, want %v", got, want)
	}
}

func TestGofmt(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"ok.go":      "package p\n\nvar X = 1\n",
		"sub/bad.go": "package p\nvar   Y=2\n",
	})
	err := Gofmt(context.Background(), root)
	if err == nil || !strings.Contains(err.Error(), "run gofmt -w on them: sub/bad.go") || strings.Contains(err.Error(), "ok.go") {
		t.Errorf("Gofmt = %v, want an error naming sub/bad.go only", err)
	}
	os.Remove(filepath.Join(root, "sub", "bad.go"))
	if err := Gofmt(context.Background(), root); err != nil {
		t.Errorf("Gofmt of formatted files = %v", err)
	}
}

func TestVet(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"m/go.mod":     "module example.com/m\n\ngo 1.26\n",
		"m/m.go":       "package m\n\nimport \"fmt\"\n\nfunc F() string { return fmt.Sprintf(\"%d\", \"not a number\") }\n",
		"mage/go.mod":  "module example.com/mage\n\ngo 1.26\n",
		"mage/ok.go":   "package m\n",
		"mage/mage.go": "//go:build mage\n\npackage m\n\nvar _ = undefinedInMagefile\n",
		"ok/go.mod":    "module example.com/ok\n\ngo 1.26\n",
		"ok/ok.go":     "package ok\n\nimport \"fmt\"\n\nfunc F() string { return fmt.Sprintf(\"%d\", 1) }\n",
	})
	tests := []struct{ dir, want string }{
		{"m", "Sprintf format %d has arg"},
		{"mage", "undefinedInMagefile"},
		{"ok", ""},
	}
	for _, tt := range tests {
		err := Vet(context.Background(), root, Module{Dir: tt.dir})
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Vet(%s) = %v, want nil", tt.dir, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Vet(%s) = %v, want an error containing %q", tt.dir, err, tt.want)
		}
	}
}

func TestIsPlugin(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"plugin.go": "package main\n\ntype l struct{}\n\nfunc (l) main() {}\n\nvar LoggingPlugin l\n",
		"cmd.go":    "package main\n\nfunc main() {}\n",
	})
	for _, tt := range []struct {
		files []string
		want  bool
	}{
		{[]string{"plugin.go"}, true},
		{[]string{"plugin.go", "cmd.go"}, false},
	} {
		got, err := IsPlugin(dir, tt.files)
		if err != nil || got != tt.want {
			t.Errorf("IsPlugin(%v) = %v, %v; want %v", tt.files, got, err, tt.want)
		}
	}
}

func TestBuildAlone(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		// A module with a library, a command and a plugin, which needs its
		// sibling lib through a relative replace.
		"m/go.mod":              "module example.com/m\n\ngo 1.26\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n",
		"m/m.go":                "package m\n\nimport \"example.com/lib\"\n\nvar X = lib.X\n",
		"m/cmd/tool/main.go":    "package main\n\nfunc main() {}\n",
		"m/plug/main.go":        "package main\n\nvar LoggingPlugin struct{}\n",
		"m/only_test/x_test.go": "package only\n",
		"lib/go.mod":            "module example.com/lib\n\ngo 1.26\n",
		"lib/lib.go":            "package lib\n\nvar X = 1\n",
		// A module that builds only in a workspace that supplies lib.
		"w/go.mod": "module example.com/w\n\ngo 1.26\n\nrequire example.com/lib v0.0.0\n",
		"w/w.go":   "package w\n\nimport \"example.com/lib\"\n\nvar X = lib.X\n",
		"go.work":  "go 1.26\n\nuse (\n\t./lib\n\t./m\n\t./w\n)\n",
	})
	out := filepath.Join(t.TempDir(), "out")
	if err := BuildAlone(context.Background(), filepath.Join(root, "m"), out); err != nil {
		t.Fatal(err)
	}
	// A module of libraries only has nothing to write.
	if err := BuildAlone(context.Background(), filepath.Join(root, "lib"), out); err != nil {
		t.Errorf("BuildAlone of a library module: %v", err)
	}
	for _, f := range []string{"tool", "plug.so"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("BuildAlone did not build %s: %v", f, err)
		}
	}
	t.Setenv("GOPROXY", "off")
	err := BuildAlone(context.Background(), filepath.Join(root, "w"), out)
	if err == nil || !strings.Contains(err.Error(), "GOWORK=off go") || !strings.Contains(err.Error(), "missing go.sum entry") {
		t.Errorf("BuildAlone of a module that needs the workspace = %v, want a failure", err)
	}
}

func TestActionlint(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"good.yml": "on: push\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n",
		"bad.yml":  "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          no-such-input: 1\n        run: echo both\n",
	})
	// The tool is declared in this module's go.mod, so it runs from here.
	if err := Actionlint(context.Background(), filepath.Join("..", "..", ToolsDir), []string{filepath.Join(dir, "good.yml")}); err != nil {
		t.Errorf("Actionlint(good.yml) = %v", err)
	}
	err := Actionlint(context.Background(), filepath.Join("..", "..", ToolsDir), []string{filepath.Join(dir, "bad.yml")})
	if err == nil || !strings.Contains(err.Error(), "bad.yml:") {
		t.Errorf("Actionlint(bad.yml) = %v, want its mistakes", err)
	}
}

func TestWorkflows(t *testing.T) {
	root := t.TempDir()
	if _, err := Workflows(root); err == nil || !strings.Contains(err.Error(), "no workflow files") {
		t.Errorf("Workflows of a root without them = %v", err)
	}
	writeFiles(t, root, map[string]string{".github/workflows/ci.yml": "", ".github/workflows/b.yaml": "", ".github/workflows/notes.txt": ""})
	got, err := Workflows(root)
	want := []string{filepath.Join(root, ".github/workflows/b.yaml"), filepath.Join(root, ".github/workflows/ci.yml")}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Workflows = %v, %v; want %v", got, err, want)
	}
}
