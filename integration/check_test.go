//go:build unix

package integration

import (
	"context"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logplug/logplug/magefiles/build"
)

// The check folder: a plugin folder that holds a file of every kind that
// can't load, next to the good plugins. TestMain builds it once.
var (
	// checkDir is the folder.
	checkDir string
	// checkBin is a copy of bin/logplug beside it, which an unprivileged
	// user may run (see runAs).
	checkBin string
	// goodFixtures are the fixture plugins in checkDir that load.
	goodFixtures = []string{"article", "minimal"}
)

// Platforms the check folder's foreign files are built for: another
// architecture on this system, and this architecture on another system.
var (
	otherArch = map[bool]string{true: "amd64", false: "arm64"}[runtime.GOARCH == "arm64"]
	otherOS   = map[bool]string{true: "linux", false: "darwin"}[runtime.GOOS == "darwin"]
)

// objectFormat is the format of the object files of a system.
func objectFormat(goos string) string {
	if goos == "darwin" {
		return "Mach-O"
	}
	return "ELF"
}

// buildCheckFolder builds the check folder in root: the files that can't
// load, built from testdata with the host's settings except the one that
// each gets wrong, and copies of the good plugins.
func buildCheckFolder(ctx context.Context, root string) error {
	start := time.Now()
	checkDir = filepath.Join(root, "plugins")
	checkBin = filepath.Join(root, "logplug")
	// Everything must be reachable by the unprivileged user of runAs.
	for _, d := range []string{filepath.Dir(root), root, checkDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := os.Chmod(d, 0o755); err != nil {
			return err
		}
	}
	if err := copyPath(logplugBin, checkBin, 0o755); err != nil {
		return err
	}
	src, err := filepath.Abs(filepath.Join("testdata", "fixtures"))
	if err != nil {
		return err
	}
	minimal := filepath.Join(src, "minimal")
	out := func(name string) string { return filepath.Join(checkDir, name) }
	noWork := []string{"GOWORK=off"}

	// Builds, two at a time: the first ones compile the standard library
	// anew (for -race, without -trimpath, for other platforms).
	jobs := map[string]func() error{
		"race.so": func() error {
			_, err := build.PluginAt(ctx, minimal, out("race.so"), noWork, []string{"-race"})
			return err
		},
		"notrim.so": func() error {
			_, err := build.PluginAt(ctx, minimal, out("notrim.so"), noWork, []string{"-trimpath=false"})
			return err
		},
		"otherarch.so": func() error {
			return goBuildProgram(ctx, minimal, out("otherarch.so"), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+otherArch)
		},
		"otheros.so": func() error {
			return goBuildProgram(ctx, minimal, out("otheros.so"), "CGO_ENABLED=0", "GOOS="+otherOS, "GOARCH="+runtime.GOARCH)
		},
		"program.so": func() error { return goBuildProgram(ctx, minimal, out("program.so")) },
		"twin-b.so": func() error {
			_, err := build.PluginAt(ctx, filepath.Join(src, "twin"), out("twin-b.so"), noWork, []string{"-ldflags=-X=main.edition=b"})
			return err
		},
		"badapi.so": func() error { return buildBadAPI(ctx, filepath.Join(root, "src"), out("badapi.so")) },
		"notgo.so":  func() error { return buildCLibrary(ctx, filepath.Join(root, "src"), out("notgo.so")) },
	}
	if err := runJobs(jobs, 2); err != nil {
		return err
	}

	// Copies of built plugins, and files made by hand.
	for _, name := range []string{"article", "minimal", "initpanic", "nosymbol", "wrongtype", "panicdep", "skew"} {
		if err := copyPath(fixture(name), out(name+".so"), 0o644); err != nil {
			return err
		}
	}
	if err := copyPath(fixture("twin"), out("twin-a.so"), 0o644); err != nil {
		return err
	}
	mods, err := build.PluginModules(repoRoot)
	if err != nil {
		return err
	}
	for _, m := range mods {
		name := filepath.Base(m) + ".so"
		if err := copyPath(referencePlugin(filepath.Base(m)), out(name), 0o644); err != nil {
			return err
		}
	}
	whole, err := os.ReadFile(fixture("minimal"))
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"empty.so":     nil,
		"text.so":      []byte("this is not a plugin\n"),
		"truncated.so": whole[:len(whole)/2],
	}
	for name, data := range files {
		if err := os.WriteFile(out(name), data, 0o644); err != nil {
			return err
		}
	}
	if err := os.Mkdir(out("dir.so"), 0o755); err != nil {
		return err
	}
	if err := copyPath(fixture("minimal"), out("unreadable.so"), 0o000); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "integration: check folder built in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// runJobs runs the jobs, n at a time, and returns their errors joined.
func runJobs(jobs map[string]func() error, n int) error {
	names := make([]string, 0, len(jobs))
	for name := range jobs {
		names = append(names, name)
	}
	slices.Sort(names)
	errs := make([]error, len(names))
	next := make(chan int)
	done := make(chan struct{})
	for range n {
		go func() {
			for i := range next {
				start := time.Now()
				if err := jobs[names[i]](); err != nil {
					errs[i] = fmt.Errorf("build %s: %w", names[i], err)
				}
				fmt.Fprintf(os.Stderr, "integration: check fixture %s %s\n", names[i], time.Since(start).Round(time.Millisecond))
			}
			done <- struct{}{}
		}()
	}
	for i := range names {
		next <- i
	}
	close(next)
	for range n {
		<-done
	}
	return errors.Join(errs...)
}

// goBuildProgram builds the main package in dir as a program (not a
// plugin) at out, with the host's flags and the given environment.
func goBuildProgram(ctx context.Context, dir, out string, env ...string) error {
	args := append(append([]string{"build"}, build.Flags...), "-o", out, ".")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOWORK=off"), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, msg)
	}
	return nil
}

// buildBadAPI builds testdata/_badapi (a folder lint skips, as it builds
// only next to the api copy made here), a plugin that links a copy of api
// with one more function, at out. It copies the plugin and api into work.
func buildBadAPI(ctx context.Context, work, out string) error {
	plugin, apiCopy := filepath.Join(work, "badapi"), filepath.Join(work, "apicopy")
	for _, d := range []string{plugin, apiCopy} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for _, name := range []string{"go.mod", "main.go"} {
		if err := copyPath(filepath.Join("testdata", "_badapi", name), filepath.Join(plugin, name), 0o644); err != nil {
			return err
		}
	}
	apiFiles, err := filepath.Glob(filepath.Join(repoRoot, "api", "*.go"))
	if err != nil {
		return err
	}
	for _, f := range append(apiFiles, filepath.Join(repoRoot, "api", "go.mod")) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if err := copyPath(f, filepath.Join(apiCopy, filepath.Base(f)), 0o644); err != nil {
			return err
		}
	}
	extra := "package api\n\n// Extra makes this copy of api differ from the host's.\nfunc Extra() {}\n"
	if err := os.WriteFile(filepath.Join(apiCopy, "extra.go"), []byte(extra), 0o644); err != nil {
		return err
	}
	_, err = build.PluginAt(ctx, plugin, out, []string{"GOWORK=off"}, nil)
	return err
}

// buildCLibrary builds a shared library from C, with the C compiler cgo
// uses: a shared library that is not a Go plugin.
func buildCLibrary(ctx context.Context, work, out string) error {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	src := filepath.Join(work, "notgo.c")
	if err := os.WriteFile(src, []byte("int answer(void) { return 42; }\n"), 0o644); err != nil {
		return err
	}
	cc, err := exec.CommandContext(ctx, "go", "env", "CC").Output()
	if err != nil {
		return err
	}
	args := append(strings.Fields(string(cc)), "-shared", "-fPIC", "-o", out, src)
	if msg, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, msg)
	}
	return nil
}

// copyPath copies a file and gives the copy mode perm.
func copyPath(from, to string, perm os.FileMode) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		return err
	}
	return os.Chmod(to, perm)
}

// runAs runs the check folder's copy of logplug in a fresh working folder,
// as an unprivileged user: when the tests run as root (as in CI
// containers), as nobody (uid and gid 65534), since root may read any file
// and unreadable.so must be unreadable.
func runAs(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	work := openTempDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, checkBin, args...)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "LOGPLUG_PLUGINS=", "HOME="+work)
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	return runCmd(t, cmd, stdin)
}

// openTempDir returns a new temporary folder that anyone may use, unlike
// t.TempDir's, and removes it at the end of the test.
func openTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "logplug-check-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// diagnoses returns, for each file of the check folder that can't load,
// the exact lines the static checks print about it (each FILE: PROBLEM;
// fix: FIX), as check and run print them.
func diagnoses(t *testing.T) map[string][]string {
	t.Helper()
	goVersion := runtime.Version()
	host := runtime.GOOS + "/" + runtime.GOARCH
	rebuildFor := fmt.Sprintf("fix: rebuild it for %s (GOOS=%s GOARCH=%s, with a C compiler for that platform)", host, runtime.GOOS, runtime.GOARCH)
	programMode := "exe"
	if bi, err := buildinfo.ReadFile(filepath.Join(checkDir, "program.so")); err == nil {
		for _, s := range bi.Settings {
			if s.Key == "-buildmode" {
				programMode = s.Value
			}
		}
	}
	whole, err := os.Stat(fixture("minimal"))
	if err != nil {
		t.Fatal(err)
	}
	half := whole.Size() / 2
	const shaky = "example.com/logplug-fixtures/internal/shaky"
	const api = "github.com/logplug/logplug/api"
	return map[string][]string{
		"race.so":   {"is built with -race, the host without -race; fix: rebuild it without -race"},
		"notrim.so": {"is built without -trimpath, the host with -trimpath; fix: rebuild it with -trimpath"},
		"badapi.so": {"links " + api + " v0.0.0 => ../apicopy, the host a local copy (devel); package " + api + " differs; fix: link the host's copy of " + api + ": build it in the host's go.work workspace, or replace " + api + " with the folder the host was built from"},
		"otherarch.so": {fmt.Sprintf("is built for another architecture: %s executable for %s/%s, the host runs on %s; %s",
			objectFormat(runtime.GOOS), runtime.GOOS, otherArch, host, rebuildFor)},
		"otheros.so": {fmt.Sprintf("is built for another operating system: %s executable for %s/%s, the host runs on %s; %s",
			objectFormat(otherOS), otherOS, runtime.GOARCH, host, rebuildFor)},
		"program.so":    {"is a Go program (built with -buildmode=" + programMode + "), not a plugin; fix: rebuild it with -buildmode=plugin"},
		"notgo.so":      {"is not a Go plugin: it is a shared library without Go build information; fix: build the plugin with go build -buildmode=plugin, with " + goVersion + " and the host's settings (logplug version prints them)"},
		"empty.so":      {"is empty (0 bytes); fix: rebuild it, or copy it again"},
		"text.so":       {`is not an ELF or Mach-O file: it starts with "this is not a plugin"; fix: replace it with a plugin built with go build -buildmode=plugin, or remove it from the plugin folder`},
		"truncated.so":  {fmt.Sprintf("is truncated: it has %d bytes, its headers need %d; fix: copy it again, whole (compare its size with the original)", half, whole.Size())},
		"dir.so":        {"is a folder, not a plugin file; fix: remove or rename the folder: the host loads every file whose name ends in .so"},
		"unreadable.so": {"can't be read: permission denied (mode ----------); fix: let the host's user read it (chmod a+r), or run the host as a user that may"},
		"nosymbol.so":   {"exports no LoggingPlugin; it exports Logger, NewLogger; fix: declare a package-level variable `var LoggingPlugin = yourLogger{}` in the plugin's main package"},
		"twin-a.so":     {"is built from the same main package path, example.com/logplug-fixtures/twin, as " + filepath.Join(checkDir, "twin-b.so") + "; Go loads only one plugin per path; fix: rename the module of one of them (the module line of its go.mod) and rebuild it"},
		"twin-b.so":     {"is built from the same main package path, example.com/logplug-fixtures/twin, as " + filepath.Join(checkDir, "twin-a.so") + "; Go loads only one plugin per path; fix: rename the module of one of them (the module line of its go.mod) and rebuild it"},
		// Found once the plugin is open (by check --probe, in a child process).
		"wrongtype.so": {"LoggingPlugin does not have the methods of a logger: *main.logger lacks Warn; has Log(string), want Log(string, map[string]string); fix: give it the methods Info(string, map[string]string), Log(string, map[string]string), Warn(string, map[string]string), or make it a log/slog Handler"},
		"initpanic.so": {"plugin panicked while initialising package example.com/logplug-fixtures/initpanic: initpanic: no configuration found; fix: fix the init functions and package-level variables of example.com/logplug-fixtures/initpanic"},
		"panicdep.so":  {"plugin panicked while initialising package " + shaky + ": shaky: cannot reach the log server; fix: fix the init functions and package-level variables of " + shaky},
		// check --probe opens skew.so alone, in a child process; run, after
		// panicdep.so, would abort, so it refuses to open it.
		"skew.so": {"plugin panicked while initialising package " + shaky + ": shaky: cannot reach the log server; fix: fix the init functions and package-level variables of " + shaky},
	}
}

// skewInRun is what run says of skew.so, which it does not open.
func skewInRun() string {
	shaky := "example.com/logplug-fixtures/internal/shaky"
	return filepath.Join(checkDir, "skew.so") + ": links package " + shaky + ", whose init panicked when " + filepath.Join(checkDir, "panicdep.so") +
		" was opened; opening it too would abort the process; fix: fix the init functions of " + shaky + " and rebuild the plugins that link it, or remove panicdep.so"
}

// goodPlugins returns the names of the files in the check folder that
// load: the good fixtures and every reference plugin.
func goodPlugins(t *testing.T) []string {
	t.Helper()
	mods, err := build.PluginModules(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	names := append([]string(nil), goodFixtures...)
	for _, m := range mods {
		names = append(names, filepath.Base(m))
	}
	return names
}

func TestCheckExplainsEveryPluginThatWontLoad(t *testing.T) {
	r := runAs(t, "", "check", "--probe", "--plugins", checkDir)
	if r.code != 1 {
		t.Errorf("exit %d, want 1; stderr:\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	byFile := map[string][]string{}
	for _, line := range lines {
		file, rest, ok := strings.Cut(line, ": ")
		if !ok || filepath.Dir(file) != checkDir {
			t.Errorf("line %q does not start with a file of %s", line, checkDir)
			continue
		}
		byFile[filepath.Base(file)] = append(byFile[filepath.Base(file)], rest)
	}
	want := diagnoses(t)
	for name, lines := range want {
		if got := byFile[name]; !slices.Equal(got, lines) {
			t.Errorf("%s:\ngot  %q\nwant %q", name, got, lines)
		}
	}
	good := goodPlugins(t)
	for _, name := range good {
		got := byFile[name+".so"]
		if len(got) != 1 || !strings.HasPrefix(got[0], "ok (") {
			t.Errorf("%s.so: got %q, want ok", name, got)
		}
	}
	if n := len(want) + len(good); len(byFile) != n {
		t.Errorf("check reported on %d files, want %d:\n%s", len(byFile), n, r.stdout)
	}
	if wantErr := fmt.Sprintf("logplug check: %d of %d plugins won't load\n", len(want), len(want)+len(good)); r.stderr != wantErr {
		t.Errorf("stderr = %q, want %q", r.stderr, wantErr)
	}
	t.Logf("$ logplug check --probe --plugins %s\n%s%s(exit %d)", checkDir, r.stdout, r.stderr, r.code)
}

func TestCheckJSONHasTheSameFindings(t *testing.T) {
	text := runAs(t, "", "check", "--probe", "--plugins", checkDir)
	js := runAs(t, "", "check", "--probe", "--json", "--plugins", checkDir)
	if js.code != text.code {
		t.Errorf("exit %d with --json, %d without", js.code, text.code)
	}
	var reports []struct {
		File       string `json:"file"`
		OK         bool   `json:"ok"`
		Name       string `json:"name"`
		Version    string `json:"version"`
		PluginPath string `json:"plugin_path"`
		Findings   []struct {
			File, Problem, Have, Want, Fix string
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(js.stdout), &reports); err != nil {
		t.Fatalf("check --json printed no JSON array: %v\n%s", err, js.stdout)
	}
	var lines []string
	for _, r := range reports {
		if r.OK {
			about := r.Name
			if r.Version != "" {
				about += " " + r.Version
			}
			lines = append(lines, fmt.Sprintf("%s: ok (%s)", r.File, about))
			if len(r.Findings) != 0 {
				t.Errorf("%s: ok, with findings %v", r.File, r.Findings)
			}
			continue
		}
		if len(r.Findings) == 0 {
			t.Errorf("%s: not ok, without findings", r.File)
		}
		for _, f := range r.Findings {
			line := f.File + ": " + f.Problem
			if f.Fix != "" {
				line += "; fix: " + f.Fix
			}
			lines = append(lines, line)
		}
	}
	if got, want := strings.Join(lines, "\n")+"\n", text.stdout; got != want {
		t.Errorf("--json findings, as text:\n%s\nwant:\n%s", got, want)
	}
	for _, r := range reports {
		switch filepath.Base(r.File) {
		case "race.so":
			if f := r.Findings[0]; f.Have != "-race=true" || f.Want != "-race=false" {
				t.Errorf("race.so: have %q want %q", f.Have, f.Want)
			}
		case "minimal.so":
			if r.PluginPath != "example.com/logplug-fixtures/minimal" {
				t.Errorf("minimal.so: plugin_path %q", r.PluginPath)
			}
		}
	}
}

func TestRunSkipsEveryPluginThatWontLoad(t *testing.T) {
	good := goodPlugins(t)
	// What each good plugin reports when it is alone: its name.
	names := map[string]string{}
	counts := regexp.MustCompile(`(?m)^logplug: (.+): received (\d+), delivered (\d+), failed 0, dropped 0, panics 0, errors 0, lost 0$`)
	const n = 50
	var in strings.Builder
	for i := range n {
		fmt.Fprintf(&in, `{"level":"%s","msg":"message %d"}`+"\n", []string{"info", "warn", "error", "debug"}[i%4], i)
	}
	// The file plugin needs a path; runAs runs in a folder anyone may write.
	fileSetting := []string{"--set", "file.path=file.log"}
	for _, name := range good {
		r := runAs(t, in.String(), append([]string{"run", "--plugin", filepath.Join(checkDir, name+".so"), "--plugins", filepath.Join(checkDir, "nowhere")}, fileSetting...)...)
		m := counts.FindStringSubmatch(r.stderr)
		if r.code != 0 || m == nil || m[2] != fmt.Sprint(n) || m[3] != fmt.Sprint(n) {
			t.Fatalf("%s.so alone: exit %d, stderr:\n%s", name, r.code, r.stderr)
		}
		names[name] = m[1]
	}

	r := runAs(t, in.String(), append([]string{"run", "--plugins", checkDir}, fileSetting...)...)
	if r.code != 0 {
		t.Errorf("exit %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	var wantLines []string
	for name, lines := range diagnoses(t) {
		for _, l := range lines {
			wantLines = append(wantLines, "logplug: "+filepath.Join(checkDir, name)+": "+l)
		}
	}
	for i, l := range wantLines {
		if strings.HasPrefix(l, "logplug: "+filepath.Join(checkDir, "skew.so")+": ") {
			wantLines[i] = "logplug: " + skewInRun()
		}
	}
	for _, name := range good {
		wantLines = append(wantLines, fmt.Sprintf("logplug: %s: received %d, delivered %d, failed 0, dropped 0, panics 0, errors 0, lost 0", names[name], n, n))
	}
	wantLines = append(wantLines, fmt.Sprintf("logplug: input: %d lines read: %d sent, 0 empty, 0 too long", n, n))
	gotLines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	slices.Sort(gotLines)
	slices.Sort(wantLines)
	if !slices.Equal(gotLines, wantLines) {
		t.Errorf("stderr:\n%s\nwant (in any order):\n%s", strings.Join(gotLines, "\n"), strings.Join(wantLines, "\n"))
	}
	// The article plugin prints each message it receives.
	if got := strings.Count(r.stdout, "\tmessage "); got < n {
		t.Errorf("article printed %d messages, want %d", got, n)
	}
}

func TestEmitAndListSkipWhatCheckRejects(t *testing.T) {
	r := runAs(t, "", "emit", "--plugins", checkDir, "hello")
	if r.code != 0 || !strings.Contains(r.stdout, "[INFO]\thello\t{}") {
		t.Errorf("emit: exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, filepath.Join(checkDir, "race.so")+": is built with -race") {
		t.Errorf("emit does not explain race.so:\n%s", r.stderr)
	}
	l := runAs(t, "", "list", "--plugins", checkDir)
	if l.code != 0 {
		t.Fatalf("list: exit %d, stderr:\n%s", l.code, l.stderr)
	}
	for _, want := range []string{"notrim: " + filepath.Join(checkDir, "notrim.so") + ": is built without -trimpath", "minimal  "} {
		if !strings.Contains(l.stdout, want) {
			t.Errorf("list output lacks %q:\n%s", want, l.stdout)
		}
	}
}

func TestCheckCommandLine(t *testing.T) {
	good := filepath.Join(checkDir, "article.so")
	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    string
		stderrHas string
	}{
		{"good files", []string{"check", "--probe", good, filepath.Join(checkDir, "minimal.so")}, 0,
			good + ": ok (article)\n" + filepath.Join(checkDir, "minimal.so") + ": ok (minimal)\n", ""},
		{"a bad file", []string{"check", filepath.Join(checkDir, "empty.so")}, 1,
			filepath.Join(checkDir, "empty.so") + ": is empty (0 bytes); fix: rebuild it, or copy it again\n", "1 of 1 plugins won't load"},
		{"a folder and files", []string{"check", "--plugins", checkDir, good}, 2, "", "give --plugins DIR or plugin files, not both"},
		{"an empty folder", []string{"check", "--plugins", openTempDir(t)}, 1, "", "holds no .so file"},
		{"a bad timeout", []string{"check", "--timeout", "0s", good}, 2, "", "--timeout must be positive"},
		{"help", []string{"check", "-h"}, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runAs(t, "", tt.args...)
			if r.code != tt.code || (tt.stdout != "" && r.stdout != tt.stdout) || !strings.Contains(r.stderr, tt.stderrHas) {
				t.Errorf("exit %d (want %d)\nstdout %q\nwant   %q\nstderr %q, want it to hold %q", r.code, tt.code, r.stdout, tt.stdout, r.stderr, tt.stderrHas)
			}
		})
	}
}

func TestCheckSurvivesPluginsThatCrashOrHang(t *testing.T) {
	// Neither file may go near run: one kills the process that loads it,
	// the other never returns from init.
	crashes, hangs, article := fixture("crashes"), fixture("hangs"), fixture("article")
	r := logplug(t, "", "check", "--probe", "--timeout", "2s", crashes, hangs, article)
	want := crashes + ": crashed the process that loaded it: panic: crashes: the connection pool failed (exit status 2); fix: fix the plugin's init functions; to see the whole message, run: logplug emit --plugin " + crashes + " test\n" +
		hangs + ": did not finish loading within 2s: its init functions block; fix: make its init functions return promptly (start long work in Configure or a goroutine), or raise --timeout\n" +
		article + ": ok (article)\n"
	if r.code != 1 || r.stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant exit 1 and:\n%s\nstderr:\n%s", r.code, r.stdout, want, r.stderr)
	}
}
