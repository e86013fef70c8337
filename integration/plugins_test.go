package integration

import (
	"bufio"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// message is what a plugin's output says of one message.
type message struct {
	level, msg string
	labels     map[string]string
}

// parseJSONOutput reads a file of JSON objects, one a line, taking the
// level, message and time keys each plugin uses out of the labels.
func parseJSONOutput(t *testing.T, data, levelKey, msgKey string) []message {
	t.Helper()
	var out []message
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var obj map[string]string
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if _, ok := obj["time"]; !ok {
			t.Fatalf("line %q has no time field", sc.Text())
		}
		m := message{level: obj[levelKey], msg: obj[msgKey], labels: obj}
		delete(obj, levelKey)
		delete(obj, msgKey)
		delete(obj, "time")
		out = append(out, m)
	}
	return out
}

// TestEveryReferencePluginReceivesEveryMessage runs the four reference
// plugins in one host and reads back, field by field and in order, the
// 1,000 messages each received.
func TestEveryReferencePluginReceivesEveryMessage(t *testing.T) {
	out := t.TempDir()
	dir := pluginFolder(t, referencePlugin("stdoutjson"), referencePlugin("zerolog"), referencePlugin("logrus"), referencePlugin("file"))
	levels := []string{"debug", "info", "warn", "error", "log"}
	var in strings.Builder
	var sent []message
	for i := range 1000 {
		m := message{level: levels[i%len(levels)], msg: fmt.Sprintf("message %d: \"quoted\", tab\t, é", i),
			labels: map[string]string{"seq": fmt.Sprint(i), "user": fmt.Sprintf("user-%d", i%13), "path": "/a b/c"}}
		obj := map[string]string{"level": m.level, "msg": m.msg}
		maps.Copy(obj, m.labels)
		line, _ := json.Marshal(obj)
		in.Write(line)
		in.WriteByte('\n')
		sent = append(sent, m)
	}
	r := logplug(t, in.String(), "run", "--plugins", dir,
		"--set", "zerolog.output="+filepath.Join(out, "zerolog.log"),
		"--set", "logrus.output="+filepath.Join(out, "logrus.log"), "--set", "logrus.format=json",
		"--set", "file.path="+filepath.Join(out, "sub", "file.log"))
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	for _, name := range []string{"file", "logrus", "stdoutjson", "zerolog"} {
		if want := name + ": received 1000, delivered 1000, failed 0, dropped 0, panics 0, errors 0"; !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	tests := []struct {
		plugin string
		got    func(t *testing.T) []message
		// levels maps a level sent to the level the plugin writes, where
		// the two differ.
		levels map[string]string
	}{
		{"stdoutjson", func(t *testing.T) []message {
			var ms []message
			for _, rec := range jsonLines(t, r.stdout) {
				m := message{level: rec["level"], msg: rec["msg"], labels: rec}
				delete(rec, "level")
				delete(rec, "msg")
				ms = append(ms, m)
			}
			return ms
		}, nil},
		// zerolog writes Log's no-level event without a level field.
		{"zerolog", func(t *testing.T) []message { return parseJSONOutput(t, read("zerolog.log"), "level", "message") },
			map[string]string{"log": ""}},
		// logrus has no entry without a level: the plugin writes Log at info.
		{"logrus", func(t *testing.T) []message { return parseJSONOutput(t, read("logrus.log"), "level", "msg") },
			map[string]string{"warn": "warning", "log": "info"}},
		{"file", func(t *testing.T) []message { return parseJSONOutput(t, read("sub/file.log"), "level", "msg") }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.plugin, func(t *testing.T) {
			got := tt.got(t)
			if len(got) != len(sent) {
				t.Fatalf("%d messages written, want %d", len(got), len(sent))
			}
			for i, want := range sent {
				g, wantLevel := got[i], want.level
				if l, ok := tt.levels[wantLevel]; ok {
					wantLevel = l
				}
				if g.level != wantLevel || g.msg != want.msg || !maps.Equal(g.labels, want.labels) {
					t.Fatalf("message %d = %q %q %v\nwant %q %q %v", i, g.level, g.msg, g.labels, wantLevel, want.msg, want.labels)
				}
			}
		})
	}
}

// checkWholeLines reads a file written by the file plugin and checks that
// it holds exactly the messages of each writer, whole and in order, where a
// writer is told apart by the label key.
func checkWholeLines(t *testing.T, data []byte, writerKey string, writers, perWriter int) {
	t.Helper()
	next := map[string]int{}
	total := 0
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var obj map[string]string
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %d is not whole: %q", i+1, line)
		}
		w := obj[writerKey]
		if want := fmt.Sprint(next[w]); obj["seq"] != want {
			t.Fatalf("line %d: writer %s seq %s, want %s", i+1, w, obj["seq"], want)
		}
		next[w]++
		total++
	}
	if total != writers*perWriter || len(next) != writers {
		t.Fatalf("%d lines from %d writers, want %d from %d", total, len(next), writers*perWriter, writers)
	}
}

func TestFilePluginTwoProcessesOneFile(t *testing.T) {
	dir := pluginFolder(t, referencePlugin("file"))
	logFile := filepath.Join(t.TempDir(), "shared.log")
	const lines = 10000
	var wg sync.WaitGroup
	results := make([]result, 2)
	for p := range 2 {
		var in strings.Builder
		for n := range lines {
			fmt.Fprintf(&in, `{"msg":"process %d line %d","proc":"%d","seq":"%d","pad":"%s"}`+"\n", p, n, p, n, strings.Repeat("x", 100))
		}
		wg.Go(func() {
			results[p] = logplug(t, in.String(), "run", "--plugins", dir, "--set", "file.path="+logFile)
		})
	}
	wg.Wait()
	for p, r := range results {
		if r.code != 0 {
			t.Fatalf("process %d: exit %d, stderr:\n%s", p, r.code, r.stderr)
		}
	}
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	checkWholeLines(t, data, "proc", 2, lines)
}

func TestFilePluginEightGoroutinesOneHost(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "hammer.log")
	cmd := exec.Command(hammerBin, "-plugin", referencePlugin("file"), "-set", "file.path="+logFile, "-goroutines", "8", "-lines", "10000")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hammer: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "file: received 80000, delivered 80000") {
		t.Errorf("hammer output: %s", out)
	}
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	checkWholeLines(t, data, "g", 8, 10000)
}

func TestFilePluginRotation(t *testing.T) {
	t.Run("keeps every line", func(t *testing.T) { testRotation(t, 10, false) })
	t.Run("keeps max_backups files", func(t *testing.T) { testRotation(t, 2, true) })
}

// testRotation writes about 4 MB through the file plugin rotating at 1 MB
// with maxBackups. When removed is false, maxBackups is more than the
// rotations and every line must be in the files; else exactly maxBackups
// rotated files must be kept, holding the newest lines whole and in order.
// No file may pass the size.
func testRotation(t *testing.T, maxBackups int, removed bool) {
	dir := pluginFolder(t, referencePlugin("file"))
	logDir := t.TempDir()
	logFile := filepath.Join(logDir, "rotating.log")
	const lines = 24000
	var in strings.Builder
	for n := range lines {
		fmt.Fprintf(&in, `{"msg":"line %d","w":"0","seq":"%d","pad":"%s"}`+"\n", n, n, strings.Repeat("x", 80))
	}
	r := logplug(t, in.String(), "run", "--plugins", dir, "--set", "file.path="+logFile,
		"--set", "file.max_size_mb=1", "--set", fmt.Sprintf("file.max_backups=%d", maxBackups))
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	// Backups are named rotating-TIMESTAMP.log; their names sort in time
	// order, and the current file comes last.
	backups, err := filepath.Glob(filepath.Join(logDir, "rotating-*.log"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(backups)
	if removed && len(backups) != maxBackups || !removed && (len(backups) < 2 || len(backups) >= maxBackups) {
		t.Fatalf("%d backups %v, want %d (removed %v)", len(backups), backups, maxBackups, removed)
	}
	var all []byte
	for _, f := range append(backups, logFile) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if info, _ := os.Stat(f); info.Size() > 1<<20 {
			t.Errorf("%s is %d bytes, over max_size_mb=1", f, info.Size())
		}
		all = append(all, data...)
	}
	if !removed {
		checkWholeLines(t, all, "w", 1, lines)
		return
	}
	// The oldest files were removed: what is left must be whole lines, in
	// order, ending with the last line sent.
	kept := strings.Split(strings.TrimSuffix(string(all), "\n"), "\n")
	first := lines - len(kept)
	for i, line := range kept {
		var obj map[string]string
		if err := json.Unmarshal([]byte(line), &obj); err != nil || obj["seq"] != fmt.Sprint(first+i) {
			t.Fatalf("kept line %d = %q, want whole line seq %d", i, line, first+i)
		}
	}
}

// TestBadSettings checks that each bad setting is reported in one line
// naming the plugin, the key and the value, and that the plugins with good
// settings still get the message; with --strict nothing is sent.
func TestBadSettings(t *testing.T) {
	dir := pluginFolder(t, referencePlugin("stdoutjson"), referencePlugin("zerolog"), referencePlugin("logrus"), referencePlugin("file"))
	goodFile := "file.path=" + filepath.Join(t.TempDir(), "ok.log")
	tests := []struct {
		name string
		set  []string
		want string
	}{
		{"file without a path", nil, "file.so: configure file: setting path: missing, want a file path"},
		{"file format", []string{goodFile, "file.format=xml"}, `file.so: configure file: setting format="xml": want json or text`},
		{"file mode", []string{goodFile, "file.mode=rw"}, `file.so: configure file: setting mode="rw": want an octal file mode such as 0640`},
		{"file path that can't be opened", []string{"file.path=/proc/self/nope/x.log"}, `file.so: configure file: setting path="/proc/self/nope/x.log": `},
		{"file rotation size", []string{goodFile, "file.max_size_mb=big"}, `setting max_size_mb="big": want a whole number of megabytes, 0 for no rotation`},
		{"zerolog unknown key", []string{goodFile, "zerolog.colour=red"}, `zerolog.so: configure zerolog: setting colour="red": unknown key (the keys are format, level and output)`},
		{"zerolog level", []string{goodFile, "zerolog.level=loud"}, `zerolog.so: configure zerolog: setting level="loud": want debug, info, warn or error`},
		{"zerolog format", []string{goodFile, "zerolog.format=xml"}, `setting format="xml": want json or console`},
		{"logrus format", []string{goodFile, "logrus.format=xml"}, `logrus.so: configure logrus: setting format="xml": want text or json`},
		{"logrus output", []string{goodFile, "logrus.output=/proc/self/nope/x.log"}, `logrus.so: configure logrus: setting output="/proc/self/nope/x.log": `},
		{"stdoutjson takes no settings", []string{goodFile, "stdoutjson.color=red"}, "stdoutjson.so: configure stdoutjson: settings color: plugin takes no settings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"emit", "--plugins", dir, "--set", "zerolog.output=" + filepath.Join(t.TempDir(), "z.log"), "--set", "logrus.output=" + filepath.Join(t.TempDir(), "l.log")}
			for _, s := range tt.set {
				args = append(args, "--set", s)
			}
			r := logplug(t, "", append(args, "hello")...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tt.want) {
				t.Errorf("stderr = %q\nwant one line containing %q", r.stderr, tt.want)
			}
			if tt.name != "stdoutjson takes no settings" && r.stdout != `{"level":"info","msg":"hello"}`+"\n" {
				t.Errorf("stdoutjson did not get the message: stdout %q", r.stdout)
			}
			strict := logplug(t, "", append(append(args, "--strict"), "hello")...)
			if strict.code != 1 || strict.stdout != "" || !strings.Contains(strict.stderr, "--strict") {
				t.Errorf("--strict: exit %d, stdout %q, stderr %q; want exit 1 and nothing sent", strict.code, strict.stdout, strict.stderr)
			}
		})
	}
}

func TestConfigFile(t *testing.T) {
	dir := pluginFolder(t, referencePlugin("file"))
	work := t.TempDir()
	fromFile, fromFlag := filepath.Join(work, "from-file.log"), filepath.Join(work, "from-flag.log")
	config := fmt.Sprintf(`{"file": {"path": %q, "format": "text", "max_size_mb": 0}}`, fromFile)
	if err := os.WriteFile(filepath.Join(work, "logplug.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cwd, _ := os.Getwd()
	if err := os.Chdir(work); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(cwd)

	// ./logplug.json is read by default.
	if r := logplug(t, "", "emit", "--plugins", dir, "--label", "k=v", "one"); r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	// --set overrides one key of the file and keeps the others.
	if r := logplug(t, "", "emit", "--plugins", dir, "--set", "file.path="+fromFlag, "two"); r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	for file, want := range map[string]string{fromFile: " INFO one k=v\n", fromFlag: " INFO two\n"} {
		data, err := os.ReadFile(file)
		if err != nil || !strings.HasSuffix(string(data), want) || strings.Count(string(data), "\n") != 1 {
			t.Errorf("%s = %q, %v; want one text line ending in %q", file, data, err, want)
		}
	}
	// --config names another file; a broken one is reported with its name.
	bad := filepath.Join(work, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"file": {"path": ["x"]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := logplug(t, "", "emit", "--plugins", dir, "--config", bad, "three")
	if want := `bad.json:1:19: file.path: value ["x"] is an array, want a string, number or boolean`; r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, stderr %q; want exit 1 and %q", r.code, r.stderr, want)
	}
	// Settings for a plugin that is not there are reported.
	r = logplug(t, "", "emit", "--plugins", dir, "--set", "nosuch.x=1", "four")
	if want := `settings for plugin "nosuch", which is not among the plugins found`; r.code != 0 || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, stderr %q; want %q", r.code, r.stderr, want)
	}
}

// TestReferencePluginsLinkNothingOfOurs reads the build information of each
// built reference plugin, as `go version -m` shows it, and checks that it
// links no module of this repository but its own: a plugin that linked api,
// say, would load only into hosts built from the same api.
func TestReferencePluginsLinkNothingOfOurs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(pluginsDir, "*.so"))
	if err != nil || len(files) < 4 {
		t.Fatalf("reference plugins in %s: %v, %v", pluginsDir, files, err)
	}
	for _, f := range files {
		info, err := buildinfo.ReadFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if want := "github.com/logplug/logplug/plugins/" + strings.TrimSuffix(filepath.Base(f), ".so"); info.Path != want {
			t.Errorf("%s: main package %s, want %s", f, info.Path, want)
		}
		for _, dep := range info.Deps {
			if strings.HasPrefix(dep.Path, "github.com/logplug/logplug") {
				t.Errorf("%s links %s %s", filepath.Base(f), dep.Path, dep.Version)
			}
		}
	}
}
