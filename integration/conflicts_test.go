package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logplug/logplug/magefiles/build"
)

// TestCheckNamesConflictsBetweenPlugins runs check and emit on folders of
// plugins that each load alone but not together, or not twice: a
// byte-identical copy, which loads once, and a plugin linked with
// -pluginpath set to another plugin's path, which the runtime would
// refuse with a bare "plugin already loaded" (and which, alone, would
// run its init functions and then fail to find its LoggingPlugin): it is
// refused before anything opens, and the other plugin still loads. (A module linked in two
// forms is TestSetConflicts in package plugincheck.)
func TestCheckNamesConflictsBetweenPlugins(t *testing.T) {
	const (
		article       = "example.com/logplug-fixtures/article"
		pathofArticle = "is linked with -pluginpath=" + article + ", not its main package's import path, example.com/logplug-fixtures/minimal: " +
			"Go would run its init functions, then look for " + article + ".LoggingPlugin and fail; fix: rebuild it without -ldflags=-pluginpath"
	)
	pp := filepath.Join(t.TempDir(), "pathof-article.so")
	src, err := filepath.Abs(filepath.Join("testdata", "fixtures", "minimal"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := build.PluginAt(context.Background(), src, pp, []string{"GOWORK=off"}, []string{"-ldflags=-pluginpath=" + article}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		files      map[string]string // name in the folder → built file
		checkCode  int
		check      string // check's output, with D for the folder
		emitCode   int
		emitStderr string // lines emit's standard error must hold
		emitStdout string
	}{
		{name: "byte-identical copy",
			files:     map[string]string{"article.so": fixture("article"), "copy.so": fixture("article")},
			checkCode: 0,
			check: "D/article.so: ok (static checks; plugin path " + article + ")\n" +
				"D/copy.so: a copy of D/article.so (same SHA-256): loaded once, as D/article.so\n",
			emitCode:   0,
			emitStderr: "logplug: D/copy.so: a copy of D/article.so (same SHA-256): loaded once, as D/article.so\n",
			emitStdout: "[INFO]\thello\t{}\n"},
		{name: "-pluginpath of another plugin",
			files:     map[string]string{"article.so": fixture("article"), "pathof-article.so": pp},
			checkCode: 1,
			check: "D/article.so: ok (static checks; plugin path " + article + ")\n" +
				"D/pathof-article.so: " + pathofArticle + "\n",
			emitCode:   0,
			emitStderr: "logplug: D/pathof-article.so: " + pathofArticle + "\n",
			emitStdout: "[INFO]\thello\t{}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := privateFolder(t)
			for name, from := range tt.files {
				copyFile(t, from, filepath.Join(dir, name))
			}
			expand := strings.NewReplacer("D/", dir+"/").Replace
			c := logplug(t, "", "check", "--plugins", dir)
			if c.code != tt.checkCode || c.stdout != expand(tt.check) {
				t.Errorf("check: exit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", c.code, tt.checkCode, c.stdout, expand(tt.check), c.stderr)
			}
			e := logplug(t, "", "emit", "--plugins", dir, "hello")
			if e.code != tt.emitCode || !strings.Contains(e.stderr, expand(tt.emitStderr)) || e.stdout != tt.emitStdout || strings.Contains(e.stderr, "plugin already loaded") {
				t.Errorf("emit: exit %d, want %d\nstdout %q, want %q\nstderr:\n%s\nwant it to hold:\n%s", e.code, tt.emitCode, e.stdout, tt.emitStdout, e.stderr, expand(tt.emitStderr))
			}
		})
	}
}

// privateFolder returns a new folder that only the test's user may
// change, as the trust checks want, named by its real path.
func privateFolder(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
