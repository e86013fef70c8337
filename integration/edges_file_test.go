package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The tests of the file plugin at the edges of a run (issue 14, cases 3 to
// 6): logrotate rotating its file under it, a full disk, its folder
// removed, and two processes writing one file. Each drives the built
// logplug as an operator would, with the reference file plugin, and checks
// that every line is either in the file or counted as lost, and that the
// exit status says which.

// eventTimeout is how long a test waits for something logplug or a tool
// it runs is to do: long, so that only a hang fails it on a busy machine.
const eventTimeout = 30 * time.Second

// fileArgs returns the arguments of `logplug run` with the file plugin
// alone (from a folder of its own) writing to path, and extra settings
// and flags after them.
func fileArgs(t *testing.T, path string, extra ...string) []string {
	t.Helper()
	dir := pluginFolder(t, referencePlugin("file"))
	return append([]string{"run", "--plugins", dir, "--set", "file.path=" + path}, extra...)
}

// wantAllDelivered checks that run exited 0 and that the file plugin's
// counts say it received and delivered n messages and lost none.
func wantAllDelivered(t *testing.T, r result, n int) {
	t.Helper()
	if r.code != 0 {
		t.Errorf("exit status %d, want 0: nothing was lost", r.code)
	}
	want := pluginCounts{Received: uint64(n), Delivered: uint64(n)}
	if got := parseCounts(t, r.stderr)["file"]; got != want {
		t.Errorf("file plugin counts = %+v, want %+v", got, want)
	}
}

// Case 3: logrotate.

// rotations is how many times TestLogrotateReopensOnSIGHUP runs logrotate
// while run writes.
const rotations = 3

// logrotateConf is the configuration TestLogrotateReopensOnSIGHUP gives
// logrotate: rotate by rename, create the file anew, and tell logplug with
// SIGHUP.
const logrotateConf = `%s {
	rotate 10
	nocompress
	create
	sharedscripts
	postrotate
		kill -HUP %d
	endscript
}
`

// TestLogrotateReopensOnSIGHUP runs the real logrotate three times while
// run writes 200,000 lines through the file plugin, with postrotate
// sending SIGHUP, and checks that the rotated files and the current one
// together hold every line once, in order.
func TestLogrotateReopensOnSIGHUP(t *testing.T) {
	needLinux(t, "reading which files logplug holds open (/proc)")
	logrotate, err := exec.LookPath("logrotate")
	if err != nil {
		skipUnlessCI(t, "logrotate is not installed: `go tool mage test:tools` installs it (as root), or `sudo apt-get install logrotate`")
	}
	const total = 200_000
	dir := t.TempDir()
	out := filepath.Join(dir, "app.log")
	cmd, stdin, stdout, stderr := start(t, fileArgs(t, out)...)

	conf := filepath.Join(dir, "logrotate.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, logrotateConf, out, cmd.Process.Pid), 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "logrotate.state")

	// The input goes in rotations+1 parts; each part after the first is
	// written only once the rotation before it has started, so that every
	// rotation comes while lines are flowing and none after the input
	// has ended.
	parts := splitLines(faultInput(total), rotations+1)
	written := make(chan struct{}, len(parts))
	rotating := make([]chan struct{}, rotations)
	for i := range rotating {
		rotating[i] = make(chan struct{})
	}
	ended := make(chan struct{}) // the test ended, maybe early
	t.Cleanup(func() { close(ended) })
	go func() {
		defer close(written)
		defer stdin.Close()
		for i, p := range parts {
			if i > 0 {
				select {
				case <-rotating[i-1]:
				case <-ended:
					return
				}
			}
			if _, err := stdin.Write(p); err != nil {
				return // logplug ended; wait reports why
			}
			written <- struct{}{}
		}
	}()

	for i := range rotations {
		if _, ok := <-written; !ok {
			break // logplug stopped reading
		}
		close(rotating[i])
		if b, err := exec.Command(logrotate, "-f", "-s", state, conf).CombinedOutput(); err != nil {
			t.Fatalf("logrotate -f -s %s %s: %v\n%s", state, conf, err, b)
		}
		// The rotation is done when logplug holds no rotated file open:
		// the plugin has reopened app.log by its path.
		waitWhileRunning(t, cmd, stderr, eventTimeout, fmt.Sprintf("logplug to reopen %s after rotation %d", out, i+1), func() bool {
			return !holdsRotated(cmd.Process.Pid, out)
		})
	}
	r := wait(t, cmd, stdout, stderr)
	t.Logf("stderr:\n%s", r.stderr)

	files := []string{}
	for n := rotations; n >= 1; n-- {
		files = append(files, fmt.Sprintf("%s.%d", out, n))
	}
	checkFile(t, concat(t, append(files, out)...), total)
	wantAllDelivered(t, r, total)
	if got := strings.Count(r.stderr, "logplug: SIGHUP: "); got != rotations {
		t.Errorf("stderr reports %d SIGHUPs, want %d, one for each rotation", got, rotations)
	}
}

// splitLines splits input into n parts of about the same size, each of
// whole lines.
func splitLines(input []byte, n int) [][]byte {
	var parts [][]byte
	for i := n; i > 1; i-- {
		cut := len(input) / i
		cut += bytes.IndexByte(input[cut:], '\n') + 1
		parts = append(parts, input[:cut])
		input = input[cut:]
	}
	return append(parts, input)
}

// holdsRotated reports whether process pid has a file open whose name is
// that of path with a suffix: a file logrotate renamed from path.
func holdsRotated(pid int, path string) bool {
	fds := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(fds)
	if err != nil {
		return false // the process has ended
	}
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(fds, e.Name()))
		if err == nil && strings.HasPrefix(target, path+".") {
			return true
		}
	}
	return false
}
