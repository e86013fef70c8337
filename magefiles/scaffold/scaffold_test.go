package scaffold

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/logplug/logplug/magefiles/build"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		want string // in the error; "" for a valid name
	}{
		{"myplugin", ""},
		{"my-plugin", ""},
		{"my_plugin2", ""},
		{"x", ""},
		{"", "no plugin name given"},
		{"MyPlugin", `'M' is not allowed first`},
		{"myPlugin", `'P' is not allowed in it`},
		{"2fast", `'2' is not allowed first`},
		{"-x", `'-' is not allowed first`},
		{"my.plugin", `'.' is not allowed in it`},
		{"my/plugin", `'/' is not allowed in it`},
		{"my plugin", `' ' is not allowed in it`},
		{"café", `'é' is not allowed in it`},
		{"a~1", `'~' is not allowed in it`},
		{"con", "Windows reserves it"},
		{"lpt1", "Windows reserves it"},
	}
	for _, tt := range tests {
		err := CheckName(tt.name)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckName(%q) = %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckName(%q) = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
	if err := CheckName("Bad"); !strings.Contains(err.Error(), "lower-case letters, digits, '-' and '_', starting with a letter") {
		t.Errorf("the error does not give the rule: %v", err)
	}
}

// templateFiles is a small template plugin, "tmpl", whose code uses a
// library that has the template's name too: the library's import path and
// identifiers must survive the renaming.
var templateFiles = map[string]string{
	"go.mod": "module example.com/repo/plugins/tmpl\n\ngo 1.26\n\nrequire example.com/lib/tmpl v1.0.0\n",
	"go.sum": "example.com/lib/tmpl v1.0.0 h1:x\n",
	"main.go": `// Command tmpl is a logplug plugin backed by example.com/lib/tmpl. Copy
// plugins/tmpl to start your own; build it as tmpl.so:
//
//	go build -buildmode=plugin -o tmpl.so .
package main

import "example.com/lib/tmpl"

const name = "tmpl"

var other = "tmpl-extra" // tmpl's helper

// LoggingPlugin uses tmpl.Logger, the library's type.
var LoggingPlugin = tmpl.New(name, other)
`,
	"main_test.go": "package main\n\nconst want = `tmpl`\n",
	"README.md":    "# plugins/tmpl\n\nCommand tmpl builds tmpl.so with github.com/lib/tmpl.\n",
	"tmpl.so":      "a built plugin, not to be copied",
	"sub/data.txt": "tmpl stays",
}

// wantFiles are the new plugin's files, "fresh" being its name.
var wantFiles = map[string]string{
	"go.mod": "module example.com/repo/plugins/fresh\n\ngo 1.26\n\nrequire example.com/lib/tmpl v1.0.0\n",
	"go.sum": "example.com/lib/tmpl v1.0.0 h1:x\n",
	"main.go": `// Command fresh is a logplug plugin backed by example.com/lib/tmpl. Copy
// plugins/fresh to start your own; build it as fresh.so:
//
//	go build -buildmode=plugin -o fresh.so .
package main

import "example.com/lib/tmpl"

const name = "fresh"

var other = "tmpl-extra" // tmpl's helper

// LoggingPlugin uses tmpl.Logger, the library's type.
var LoggingPlugin = tmpl.New(name, other)
`,
	"main_test.go": "package main\n\nconst want = \"fresh\"\n",
	"README.md":    "# plugins/fresh\n\nCommand fresh builds fresh.so with github.com/lib/tmpl.\n",
	"sub/data.txt": "tmpl stays",
}

// newRoot makes a repository root holding the template and a go.work that
// uses it.
func newRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	writeFiles(t, filepath.Join(root, "plugins", "tmpl"), templateFiles)
	writeFiles(t, root, map[string]string{"go.work": "go 1.26\n\nuse ./plugins/tmpl\n"})
	return root
}

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

// readFiles returns the files under dir by slash-separated relative path.
func readFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestPlugin(t *testing.T) {
	root := newRoot(t)
	r, err := Plugin(context.Background(), root, "fresh", "tmpl")
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Dir: "plugins/fresh", Module: "example.com/repo/plugins/fresh",
		Files: []string{"README.md", "go.mod", "go.sum", "main.go", "main_test.go", "sub/data.txt"}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("Plugin returned %+v, want %+v", r, want)
	}
	got := readFiles(t, filepath.Join(root, "plugins", "fresh"))
	for name, w := range wantFiles {
		if got[name] != w {
			t.Errorf("%s is\n%s\nwant\n%s", name, got[name], w)
		}
	}
	if len(got) != len(wantFiles) {
		t.Errorf("wrote %d files, want %d: %v", len(got), len(wantFiles), r.Files)
	}
	if tmpl := readFiles(t, filepath.Join(root, "plugins", "tmpl")); !reflect.DeepEqual(tmpl, templateFiles) {
		t.Errorf("the template changed")
	}
	mods, err := build.Modules(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"plugins/fresh", "plugins/tmpl"}; !reflect.DeepEqual(mods, want) {
		t.Errorf("go.work uses %v, want %v", mods, want)
	}
}

func TestPluginRefuses(t *testing.T) {
	tests := []struct {
		name, plugin, template string
		noWork                 bool
		want                   string
	}{
		{"taken", "tmpl", "tmpl", false, `plugin name "tmpl" is taken: plugins/tmpl already exists; choose another name`},
		{"invalid", "Fresh", "tmpl", false, `invalid plugin name "Fresh"`},
		{"no such template", "fresh", "nope", false, `template "nope" (set $LOGPLUG_TEMPLATE to choose another): no `},
		{"no go.work", "fresh", "tmpl", true, "no go.work in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newRoot(t)
			if tt.noWork {
				os.Remove(filepath.Join(root, "go.work"))
			}
			before := readFiles(t, root)
			_, err := Plugin(context.Background(), root, tt.plugin, tt.template)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Plugin = %v, want an error containing %q", err, tt.want)
			}
			if after := readFiles(t, root); !reflect.DeepEqual(after, before) {
				t.Errorf("a refused Plugin changed the files under the root")
			}
		})
	}
}

// TestPluginCleansUp checks that a failure after the copy removes it: here
// go work use fails on a go.work that is not valid.
func TestPluginCleansUp(t *testing.T) {
	root := newRoot(t)
	writeFiles(t, root, map[string]string{"go.work": "this is not a go.work file\n"})
	if _, err := Plugin(context.Background(), root, "fresh", "tmpl"); err == nil || !strings.Contains(err.Error(), "go work use") {
		t.Fatalf("Plugin = %v, want the go work use failure", err)
	}
	if _, err := os.Stat(filepath.Join(root, "plugins", "fresh")); !os.IsNotExist(err) {
		t.Errorf("plugins/fresh is left behind: %v", err)
	}
}

func TestTemplate(t *testing.T) {
	t.Setenv(TemplateEnv, "")
	if got := Template(); got != DefaultTemplate {
		t.Errorf("Template() = %q with $%s unset, want %q", got, TemplateEnv, DefaultTemplate)
	}
	t.Setenv(TemplateEnv, "zerolog")
	if got := Template(); got != "zerolog" {
		t.Errorf("Template() = %q, want zerolog", got)
	}
}
