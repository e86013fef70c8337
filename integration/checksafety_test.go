package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckRunsNoPluginCode shows that check, by default, runs none of a
// plugin's code, that check --probe runs it only for a file that passes
// every trust check, and that check refuses what run and emit refuse, in
// the same words. The fixture's init function leaves a mark file, then
// panics.
func TestCheckRunsNoPluginCode(t *testing.T) {
	const initmark = "example.com/logplug-fixtures/initmark"
	tests := []struct {
		name   string
		mode   os.FileMode // of the plugin folder
		args   []string    // before the plugin folder's flag
		code   int
		stdout string // with D for the plugin folder
		stderr string // a line standard error must hold
		ran    bool   // whether the plugin's init ran
	}{
		{name: "check, folder writable by others", mode: 0o777, args: []string{"check"}, code: 1,
			stdout: "D/initmark.so: refused: folder D is writable by group and others (mode 0777); fix: chmod go-w D (or --insecure-permissions)\n"},
		{name: "check --probe, folder writable by others", mode: 0o777, args: []string{"check", "--probe"}, code: 1,
			stdout: "D/initmark.so: refused: folder D is writable by group and others (mode 0777); fix: chmod go-w D (or --insecure-permissions)\n"},
		{name: "emit, folder writable by others", mode: 0o777, args: []string{"emit", "--strict"}, code: 1,
			stderr: "logplug: D/initmark.so: refused: folder D is writable by group and others (mode 0777); fix: chmod go-w D (or --insecure-permissions)\n"},
		{name: "check, safe folder", mode: 0o755, args: []string{"check"}, code: 0,
			stdout: "D/initmark.so: ok (static checks; plugin path " + initmark + ")\n"},
		{name: "check --probe, safe folder", mode: 0o755, args: []string{"check", "--probe"}, code: 1, ran: true,
			stdout: "D/initmark.so: plugin panicked while initialising package " + initmark + ": initmark: ran; fix: fix the init functions and package-level variables of " + initmark + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := pluginFolder(t, fixture("initmark"))
			if err := os.Chmod(dir, tt.mode); err != nil {
				t.Fatal(err)
			}
			mark := filepath.Join(t.TempDir(), "mark")
			args := append(append([]string(nil), tt.args...), "--plugins", dir)
			if tt.args[0] == "emit" {
				args = append(args, "a message")
			}
			cmd := exec.Command(logplugBin, args...)
			cmd.Env = append(os.Environ(), "LOGPLUG_PLUGINS=", "LOGPLUG_INIT_MARK="+mark)
			r := runCmd(t, cmd, "")
			expand := strings.NewReplacer("D/", dir+"/", "D ", dir+" ").Replace
			if r.code != tt.code || r.stdout != expand(tt.stdout) || !strings.Contains(r.stderr, expand(tt.stderr)) {
				t.Errorf("$ logplug %s\nexit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant it to hold:\n%s",
					strings.Join(args, " "), r.code, tt.code, r.stdout, expand(tt.stdout), r.stderr, expand(tt.stderr))
			}
			_, err := os.Stat(mark)
			if ran := err == nil; ran != tt.ran {
				t.Errorf("the plugin's init ran: %v, want %v", ran, tt.ran)
			}
		})
	}
}
