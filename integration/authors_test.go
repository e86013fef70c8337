package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logplug/logplug/magefiles/build"
	"github.com/logplug/logplug/magefiles/scaffold"
)

// The tests in this file do what a plugin author does: start a plugin with
// `go tool mage new:plugin`, copy a reference plugin out of the repository
// and build it with the settings `logplug version` prints, and rebuild a
// plugin after changing it. They work on copies in temporary folders, never
// on the repository itself.

// copyDir copies the files under src to dst, leaving out built plugins.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case strings.HasSuffix(p, ".so"):
			return nil
		}
		copyFile(t, p, target)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// tempRepo copies the given module folders of the repository to a new
// temporary root, with a go.work that uses them, and returns the root.
func tempRepo(t *testing.T, modules ...string) string {
	t.Helper()
	root := t.TempDir()
	work, err := os.ReadFile(filepath.Join(repoRoot, "go.work"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := "go 1.26"
	for _, line := range strings.Split(string(work), "\n") {
		if strings.HasPrefix(line, "go ") {
			goLine = line
		}
	}
	var b strings.Builder
	b.WriteString(goLine + "\n\nuse (\n")
	for _, m := range modules {
		copyDir(t, filepath.Join(repoRoot, filepath.FromSlash(m)), filepath.Join(root, filepath.FromSlash(m)))
		b.WriteString("\t./" + m + "\n")
	}
	b.WriteString(")\n")
	if err := os.WriteFile(filepath.Join(root, "go.work"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// goIn runs the go command in dir with the extra environment env, failing
// the test if it fails, and returns its combined output.
func goIn(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s go %s (in %s): %v\n%s", strings.Join(env, " "), strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// editFile replaces old, which must occur, with new in the file at path.
func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// wantDelivered sends one message to the plugins in dir with the built
// host and checks that the plugin writing JSON lines wrote it.
func wantDelivered(t *testing.T, dir, msg string) {
	t.Helper()
	r := logplug(t, "", "emit", "--plugins", dir, "--label", "user=ann", msg)
	t.Logf("$ logplug emit --plugins %s --label user=ann %q\n%s%s", dir, msg, r.stdout, r.stderr)
	if r.code != 0 {
		t.Fatalf("emit: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	compareRecords(t, jsonLines(t, r.stdout), []map[string]string{record("info", msg, map[string]string{"user": "ann"})})
}

// wantListed checks that `logplug list` loads the plugins in dir and shows
// the plugin name, with version, loaded.
func wantListed(t *testing.T, dir, name, version string) {
	t.Helper()
	r := logplug(t, "", "list", "--plugins", dir)
	t.Logf("$ logplug list --plugins %s\n%s%s", dir, r.stdout, r.stderr)
	if r.code != 0 {
		t.Fatalf("list: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && f[0] == name && slices.Contains(f, version) && slices.Contains(f, "ok") {
			return
		}
	}
	t.Errorf("list does not show %s %s loaded:\n%s", name, version, r.stdout)
}

// TestScaffoldedPluginLoads does what `go tool mage new:plugin scaffolded`
// does, in a copy of the repository: the new plugin passes its tests and
// the conformance suite, builds, and loads into the built host, with no
// edit.
func TestScaffoldedPluginLoads(t *testing.T) {
	ctx := context.Background()
	root := tempRepo(t, "api", "plugins/stdoutjson")
	t.Setenv("GOWORK", filepath.Join(root, "go.work"))
	r, err := scaffold.Plugin(ctx, root, "scaffolded", scaffold.DefaultTemplate)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("created %s (module %s): %s", r.Dir, r.Module, strings.Join(r.Files, " "))
	work, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil || !strings.Contains(string(work), "./plugins/scaffolded") {
		t.Fatalf("go.work does not use the new plugin:\n%s", work)
	}

	out := goIn(t, filepath.Join(root, r.Dir), nil, "test", "-count=1", "-v", "-run", "TestConformance|TestDescribe", "./...")
	t.Logf("$ go test -run 'TestConformance|TestDescribe' ./... (in %s)\n%s", r.Dir, out)
	for _, want := range []string{"--- PASS: TestConformance/concurrent", "--- PASS: TestDescribe", "ok  \t" + r.Module} {
		if !strings.Contains(out, want) {
			t.Errorf("go test output lacks %q", want)
		}
	}

	a, err := build.Plugin(ctx, root, r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", a)
	dir := pluginFolder(t, filepath.Join(root, a.Path))
	wantListed(t, dir, "scaffolded", "v0.1.0")
	wantDelivered(t, dir, "hello from a scaffolded plugin")
}

// versionBuildCommand returns the command `logplug version` prints for
// building a compatible plugin: the environment assignments before "go",
// and the go command's arguments.
func versionBuildCommand(t *testing.T) (env, args []string) {
	t.Helper()
	r := logplug(t, "", "version")
	if r.code != 0 {
		t.Fatalf("version: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if !strings.Contains(line, " -buildmode=plugin ") {
			continue
		}
		words := shellWords(t, strings.TrimSpace(line))
		for i, w := range words {
			if w == "go" {
				return words[:i], words[i+1:]
			}
			if !strings.Contains(w, "=") {
				break
			}
		}
		t.Fatalf("can't read the build command in %q", line)
	}
	t.Fatalf("logplug version prints no build command:\n%s", r.stdout)
	return nil, nil
}

// shellWords splits a command line as a POSIX shell does, for the quoting
// `logplug version` uses: spaces between words, single quotes around a word
// with special characters.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	for _, c := range line {
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			w.WriteRune(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case strings.ContainsRune("\"\\$`", c):
			t.Fatalf("unexpected shell syntax %q in %q", c, line)
		default:
			w.WriteRune(c)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", line)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

func TestShellWords(t *testing.T) {
	got := shellWords(t, `CGO_ENABLED=1 go build -gcflags='all=-N -l' -tags=a,b -o NAME.so '' .`)
	want := []string{"CGO_ENABLED=1", "go", "build", "-gcflags=all=-N -l", "-tags=a,b", "-o", "NAME.so", "", "."}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("shellWords = %q, want %q", got, want)
	}
}

// copyOutOfTree copies plugins/stdoutjson to dst, a folder outside the
// workspace, and makes it a module of its own as the README's "Write your
// own plugin" says: the module path given, the api module (which only the
// tests import) taken from this checkout, and the plugin's name.
func copyOutOfTree(t *testing.T, dst, module, name string) {
	t.Helper()
	copyDir(t, filepath.Join(repoRoot, "plugins", "stdoutjson"), dst)
	args := []string{"mod", "edit", "-replace", "github.com/logplug/logplug/api=" + filepath.Join(repoRoot, "api")}
	if module != "" {
		args = append(args, "-module", module)
	}
	goIn(t, dst, []string{"GOWORK=off"}, args...)
	editFile(t, filepath.Join(dst, "main.go"), `name    = "stdoutjson"`, `name    = "`+name+`"`)
}

// TestOutOfTreePlugin builds a copy of plugins/stdoutjson outside the
// workspace, with another module path, GOWORK=off and exactly the command
// `logplug version` prints, and loads it into the built host.
func TestOutOfTreePlugin(t *testing.T) {
	src := filepath.Join(t.TempDir(), "myplugin")
	copyOutOfTree(t, src, "example.com/myplugin", "myplugin")

	out := goIn(t, src, []string{"GOWORK=off"}, "test", "-count=1", "./...")
	t.Logf("$ GOWORK=off go test ./... (in the copy)\n%s", out)

	env, args := versionBuildCommand(t)
	for i, a := range args {
		if a == "NAME.so" {
			args[i] = "myplugin.so"
		}
	}
	t.Logf("$ GOWORK=off %s go %s (from `logplug version`, in the copy)", strings.Join(env, " "), strings.Join(args, " "))
	goIn(t, src, append([]string{"GOWORK=off"}, env...), args...)

	dir := pluginFolder(t, filepath.Join(src, "myplugin.so"))
	wantListed(t, dir, "myplugin", "v0.1.0")
	wantDelivered(t, dir, "hello from outside the workspace")
}

// TestCopiesWithOneModulePathCollide loads two plugins copied from
// stdoutjson whose module path was left as it was: the host must say that
// they collide, name both files and say to rename a module, rather than
// pass on the runtime's bare "plugin already loaded". It opens neither:
// which of the two the operator meant is not for the host to guess. A third
// plugin in the folder still gets the message.
func TestCopiesWithOneModulePathCollide(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, name := range []string{"alpha", "beta"} {
		src := filepath.Join(t.TempDir(), name)
		copyOutOfTree(t, src, "", name)
		if _, err := build.PluginAt(ctx, src, filepath.Join(dir, name+".so"), []string{"GOWORK=off"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, fixture("article"), filepath.Join(dir, "article.so"))
	const path = "github.com/logplug/logplug/plugins/stdoutjson"
	for _, args := range [][]string{
		{"list", "--plugins", dir},
		{"emit", "--plugins", dir, "still delivered"},
	} {
		r := logplug(t, "", args...)
		got := r.stdout + r.stderr
		t.Logf("$ logplug %s\n%s", strings.Join(args, " "), got)
		for _, name := range []string{"alpha", "beta"} {
			want := fmt.Sprintf("%s.so: is built from the same main package path, %s, as ", name, path)
			if !strings.Contains(got, want) || strings.Count(got, "fix: rename the module of one of them") != 2 {
				t.Errorf("logplug %s: output lacks %q and the fix for both files", args[0], want)
			}
		}
		if strings.Contains(got, "plugin already loaded") {
			t.Errorf("logplug %s: the runtime's bare error came through", args[0])
		}
		if args[0] == "emit" && (r.code != 0 || r.stdout != "[INFO]\tstill delivered\t{}\n") {
			t.Errorf("emit: exit %d, stdout %q: the plugin that loaded did not get the message", r.code, r.stdout)
		}
	}
}

// TestChangedPluginIsRebuilt changes a plugin's source and builds it again
// as `go tool mage build` and the integration tests' TestMain do: the new
// code is what the host loads, and a build with nothing changed relinks
// nothing.
func TestChangedPluginIsRebuilt(t *testing.T) {
	ctx := context.Background()
	root := tempRepo(t, "api", "plugins/stdoutjson")
	t.Setenv("GOWORK", filepath.Join(root, "go.work"))
	rebuild := func(step string, wantRelinked bool) string {
		t.Helper()
		a, err := build.Plugin(ctx, root, "plugins/stdoutjson")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s", step, a)
		if a.Relinked != wantRelinked {
			t.Errorf("%s: Relinked = %v, want %v", step, a.Relinked, wantRelinked)
		}
		return pluginFolder(t, filepath.Join(root, a.Path))
	}
	wantListed(t, rebuild("first build", true), "stdoutjson", "v0.1.0")
	rebuild("nothing changed", false)
	editFile(t, filepath.Join(root, "plugins", "stdoutjson", "main.go"), `version = "v0.1.0"`, `version = "v0.2.0-changed"`)
	wantListed(t, rebuild("source changed", true), "stdoutjson", "v0.2.0-changed")
	rebuild("nothing changed since", false)
}
