package integration

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
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
	files = append(files, out)
	for _, f := range files {
		t.Logf("%s: %d lines", filepath.Base(f), lineCount(f))
	}
	checkFile(t, concat(t, files...), total)
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

// Case 4: a full disk.

// fullDiskSize is the size of the tmpfs TestFileOnFullDisk fills: about
// 650 of the file plugin's lines of faultInput.
const fullDiskSize = "64k"

// mountTmpfs mounts a tmpfs of the given size (as mount's size= option
// takes it) on a new temporary folder, unmounted when the test ends, and
// returns the folder. It needs root on Linux: without, it skips the test,
// or fails it under CI.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	needLinux(t, "mounting a tmpfs")
	if os.Geteuid() != 0 {
		skipUnlessCI(t, "mounting a %s tmpfs needs root", size)
	}
	dir := t.TempDir()
	if b, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		skipUnlessCI(t, "mount -t tmpfs -o size=%s tmpfs %s: %v: %s", size, dir, err, bytes.TrimSpace(b))
	}
	// Registered after t.TempDir's, so run before it removes the folder.
	t.Cleanup(func() {
		if b, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, bytes.TrimSpace(b))
		}
	})
	return dir
}

// remountTmpfs gives the tmpfs mounted on dir a new size.
func remountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if b, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
		t.Fatalf("mount -o remount,size=%s %s: %v: %s", size, dir, err, bytes.TrimSpace(b))
	}
}

// cutFile is what the file plugin left in a file on a disk that filled up:
// whole lines, and perhaps a line cut short.
type cutFile struct {
	// lines are all its lines, without their newlines; a last line
	// without a newline too.
	lines [][]byte
	// whole are the lines that are one JSON object each, in order.
	whole []fileLine
	// cut are the others.
	cut []string
}

// readCutFile reads the file at path and checks that at most one of its
// lines is not a whole line, and that that one is a line cut short, not
// two glued together.
func readCutFile(t *testing.T, path string) cutFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c cutFile
	c.lines = fileLines(t, f)
	for _, line := range c.lines {
		if l, ok := parseFileLine(line); ok {
			c.whole = append(c.whole, l)
		} else {
			c.cut = append(c.cut, string(line))
		}
	}
	if len(c.cut) > 1 {
		t.Errorf("%s has %d lines that are not whole JSON objects, want at most 1 (the one cut short): %q", path, len(c.cut), c.cut)
	}
	for _, s := range c.cut {
		if strings.Count(s, `{"time":`) > 1 {
			t.Errorf("%s has a line glued onto one cut short: %q", path, s)
		}
	}
	return c
}

// wantMessages checks that lines have the messages want, in order.
func wantMessages(t *testing.T, what string, lines []fileLine, want []string) {
	t.Helper()
	got := make([]string, len(lines))
	for i, l := range lines {
		got[i] = l.Msg
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: the messages are\n%q\nwant\n%q", what, got, want)
	}
}

// messages returns the messages "PREFIX from" to "PREFIX to-1".
func messages(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s %d", prefix, i))
	}
	return out
}

// checkFullDisk checks a run whose file plugin wrote the messages sent,
// in order, to out on a disk that filled up: the run failed; every message
// was delivered, and those the plugin could not write whole were counted
// as failed and lost, with the latest failure naming the file and the full
// disk; and the file holds the others, whole, in order, and at most one
// line cut short. It returns what the file holds.
func checkFullDisk(t *testing.T, r result, out string, sent []string) cutFile {
	t.Helper()
	if r.code != 1 {
		t.Errorf("exit status %d, want 1: lines were lost", r.code)
	}
	n := uint64(len(sent))
	c := parseCounts(t, r.stderr)["file"]
	if c.Received != n || c.Delivered != n || c.Failed == 0 || c.Lost != c.Failed || c.Dropped != 0 || c.Panics != 0 {
		t.Errorf("file plugin counts = %+v; want %d received and delivered, some failed, as many lost as failed", c, n)
	}
	if lf := latestFailure(r.stderr, "file"); !strings.Contains(lf, out) || !strings.Contains(lf, "no space left on device") {
		t.Errorf("latest failure %q, want one naming %s and saying \"no space left on device\"", lf, out)
	}
	f := readCutFile(t, out)
	t.Logf("%s: %d whole lines, %d cut short %q; %d failed", out, len(f.whole), len(f.cut), f.cut, c.Failed)
	at := map[string]int{}
	for i, m := range sent {
		at[m] = i
	}
	prev := -1
	for _, l := range f.whole {
		i, ok := at[l.Msg]
		if !ok || i <= prev {
			t.Errorf("%s holds %q after %q: want the messages sent, each once, in order", out, l.Msg, sent[max(prev, 0)])
			break
		}
		prev = i
	}
	if got := uint64(len(f.whole)) + c.Failed; got != n {
		t.Errorf("%d whole lines in the file + %d failed = %d, want %d: every line is written or counted", len(f.whole), c.Failed, got, n)
	}
	return f
}

// TestFileOnFullDisk runs 1000 lines into the file plugin on a tmpfs that
// fills up, and checks that every line is either whole in the file or
// counted as failed, and that the run says so and fails; then, with space
// again, that a second run's lines start on a line of their own, not on
// the end of the line cut short.
func TestFileOnFullDisk(t *testing.T) {
	const total = 1000
	dir := mountTmpfs(t, fullDiskSize)
	out := filepath.Join(dir, "app.log")
	r := runStreamed(t, faultInput(total), fileArgs(t, out)...)
	t.Logf("stderr:\n%s", r.stderr)
	full := checkFullDisk(t, r.result, out, messages("line", 0, total))
	wantMessages(t, "the full disk", full.whole, messages("line", 0, len(full.whole)))

	// Space again: a second run appends to the same file.
	remountTmpfs(t, dir, "1m")
	const after = 10
	r = runStreamed(t, taggedInput("after remount", after), fileArgs(t, out)...)
	t.Logf("after the remount, stderr:\n%s", r.stderr)
	wantAllDelivered(t, r.result, after)
	both := readCutFile(t, out)
	if len(both.lines) < after {
		t.Fatalf("%s has %d lines after the second run, want at least %d", out, len(both.lines), after)
	}
	before := both.lines[:len(both.lines)-after]
	wantLines := full.lines
	if len(before) == len(full.whole) { // the cut line was removed: fine too
		wantLines = full.lines[:len(full.whole)]
	}
	if !slices.EqualFunc(before, wantLines, bytes.Equal) {
		t.Errorf("the second run changed what the first left: %d lines before its own, want the first run's %d", len(before), len(full.lines))
	}
	var tail []fileLine
	for _, line := range both.lines[len(both.lines)-after:] {
		l, ok := parseFileLine(line)
		if !ok {
			t.Errorf("a line of the second run is not whole: %q (glued onto the line cut short?)", line)
		}
		tail = append(tail, l)
	}
	wantMessages(t, "after the remount", tail, messages("after remount", 0, after))
}

// TestFileOnFullDiskFreedDuringRun runs 1000 lines into the file plugin
// on a tmpfs that fills up, makes room once it is full, and runs 10 more
// lines: the line after the one cut short starts on a line of its own, and
// the 10 are whole.
func TestFileOnFullDiskFreedDuringRun(t *testing.T) {
	const total, after = 1000, 10
	dir := mountTmpfs(t, fullDiskSize)
	out := filepath.Join(dir, "app.log")
	cmd, stdin, stdout, stderr := start(t, fileArgs(t, out)...)
	if _, err := stdin.Write(faultInput(total)); err != nil {
		t.Fatal(err)
	}
	waitWhileRunning(t, cmd, stderr, eventTimeout, fmt.Sprintf("the file plugin to fill the %s tmpfs", fullDiskSize), func() bool {
		var st syscall.Statfs_t
		return syscall.Statfs(dir, &st) == nil && st.Bavail == 0
	})
	remountTmpfs(t, dir, "1m")
	if _, err := stdin.Write(taggedInput("after remount", after)); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	r := wait(t, cmd, stdout, stderr)
	t.Logf("stderr:\n%s", r.stderr)
	f := checkFullDisk(t, r, out, append(messages("line", 0, total), messages("after remount", 0, after)...))
	if len(f.whole) < after {
		t.Fatalf("%s holds %d whole lines, want at least the %d written after the remount", out, len(f.whole), after)
	}
	wantMessages(t, "after the remount", f.whole[len(f.whole)-after:], messages("after remount", 0, after))
}

// TestStdoutOnDevFull runs 1000 lines with standard output on /dev/full,
// into stdoutjson and the file plugin, and checks that every one of
// stdoutjson's writes counts as failed and lost, that the run fails, and
// that the file plugin beside it gets every line.
func TestStdoutOnDevFull(t *testing.T) {
	needLinux(t, "/dev/full")
	const total = 1000
	devFull, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		skipUnlessCI(t, "open /dev/full: %v", err)
	}
	defer devFull.Close()
	dir := pluginFolder(t, referencePlugin("file"), referencePlugin("stdoutjson"))
	out := filepath.Join(t.TempDir(), "out.log")
	cmd := exec.Command(logplugBin, "run", "--plugins", dir, "--set", "file.path="+out)
	cmd.Env = append(os.Environ(), "LOGPLUG_PLUGINS=")
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(faultInput(total)), devFull, &stderr
	r := resultOf(t, cmd, cmd.Run(), &bytes.Buffer{}, &stderr)
	t.Logf("stderr:\n%s", r.stderr)
	if r.code != 1 {
		t.Errorf("exit status %d, want 1: stdoutjson lost every line", r.code)
	}
	counts := parseCounts(t, r.stderr)
	got := counts["stdoutjson"]
	got.Errors, got.State = 0, "" // a Flush may report the failure too; 1000 failures in a row stop the plugin
	if want := (pluginCounts{Received: total, Delivered: total, Failed: total, Lost: total}); got != want {
		t.Errorf("stdoutjson counts = %+v (errors and state not compared), want %+v", counts["stdoutjson"], want)
	}
	if lf := latestFailure(r.stderr, "stdoutjson"); !strings.Contains(lf, "no space left on device") {
		t.Errorf("stdoutjson's latest failure %q, want one saying \"no space left on device\"", lf)
	}
	if want := (pluginCounts{Received: total, Delivered: total}); counts["file"] != want {
		t.Errorf("file plugin counts = %+v, want %+v", counts["file"], want)
	}
	checkFile(t, out, total)
}

// Case 5: the folder removed.

// checkWindow bounds how long before the removal of its file the file
// plugin last checked that its path still names the file: it checks at
// most once a second, and as lines keep coming, about once a second. The
// lines it counts as failed were written after that check.
const checkWindow = 2500 * time.Millisecond

// runBeforeRemoval is how long TestFileFolderRemoved writes before it
// removes the folder: long enough for the file to hold lines from before
// checkWindow.
const runBeforeRemoval = checkWindow + 1500*time.Millisecond

// TestFileFolderRemoved removes the file plugin's folder while run writes
// a line a millisecond, and checks that the plugin recreates the folder
// and the file, that the lines written after the removal into the removed
// file count as failed, and that the run fails. The test keeps the
// removed file open, so it can read what went into it: every line sent is
// in the removed file or in the new one, once and in order.
func TestFileFolderRemoved(t *testing.T) {
	const (
		maxLines = 100_000 // more than the test sends at a line a millisecond
		minLines = 100     // in the file when it is removed
	)
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	out := filepath.Join(sub, "app.log")
	started := time.Now()
	cmd, stdin, stdout, stderr := start(t, fileArgs(t, out)...)

	lines := inputLines(maxLines)
	stop := make(chan struct{})
	sent := make(chan int, 1) // how many lines, once stdin is closed
	go func() {
		n := 0
		defer func() { stdin.Close(); sent <- n }()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for n < len(lines) {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := stdin.Write(lines[n]); err != nil {
				return // logplug ended; wait reports why
			}
			n++
		}
	}()

	// Lines older than checkWindow in the file, for the bound on what
	// the plugin counts as failed to mean something.
	waitWhileRunning(t, cmd, stderr, eventTimeout+runBeforeRemoval, fmt.Sprintf("%s to have %d lines, %v after the start", out, minLines, runBeforeRemoval), func() bool {
		return time.Since(started) > runBeforeRemoval && lineCount(out) >= minLines
	})
	removed, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer removed.Close()
	removing := time.Now()
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	gone := time.Now()
	waitWhileRunning(t, cmd, stderr, eventTimeout, fmt.Sprintf("the file plugin to recreate %s and write lines to it", out), func() bool {
		return lineCount(out) > 0
	})
	close(stop)
	n := <-sent
	r := wait(t, cmd, stdout, stderr)
	t.Logf("stderr:\n%s", r.stderr)
	if n == maxLines {
		t.Fatalf("the test ran out of its %d lines before the file was recreated", maxLines)
	}

	old := fileLines(t, removed)
	var oldCopy bytes.Buffer
	for _, l := range old {
		oldCopy.Write(append(l, '\n'))
	}
	checkFile(t, concat(t, writeTemp(t, oldCopy.Bytes()), out), n)

	if r.code != 1 {
		t.Errorf("exit status %d, want 1: the lines written into the removed file were lost", r.code)
	}
	c := parseCounts(t, r.stderr)["file"]
	if c.Received != uint64(n) || c.Delivered != uint64(n) || c.Lost != c.Failed || c.Dropped != 0 || c.Panics != 0 {
		t.Errorf("file plugin counts = %+v; want %d received and delivered, as many lost as failed", c, n)
	}
	if lf := latestFailure(r.stderr, "file"); !strings.Contains(lf, out) || !strings.Contains(strings.ToLower(lf), "recreat") {
		t.Errorf("latest failure %q, want one naming %s and saying it was recreated", lf, out)
	}
	// The lines stamped after the removal went into the removed file:
	// lost, and so counted. Those counted were written after the check
	// before the removal, at most checkWindow before it.
	var after, recent uint64
	for _, line := range old {
		l, _ := parseFileLine(line) // checkFile parsed every line
		if l.Time.After(gone) {
			after++
		}
		if !l.Time.Before(removing.Add(-checkWindow)) {
			recent++
		}
	}
	t.Logf("%d lines sent; %d in the removed file, %d of them stamped after the removal, %d at most %v before it; %d in the new file; %d failed",
		n, len(old), after, recent, checkWindow, n-len(old), c.Failed)
	if c.Failed < max(after, 1) {
		t.Errorf("failed %d, want at least %d: every line written into the removed file after it was removed", c.Failed, max(after, 1))
	}
	if c.Failed > recent {
		t.Errorf("failed %d, want at most %d: the lines written into the removed file since %v before the removal", c.Failed, recent, checkWindow)
	}
}

// writeTemp writes data to a new temporary file and returns its path.
func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data.log")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Case 6: two writers of one file.

// TestSecondRotatingWriterRefused runs two `logplug run` with rotation on
// and the same file, and checks that the second is refused at once, with
// a one-line error naming the file, the lock and the first's pid, and that
// the first goes on and keeps every line, across the files it rotates.
func TestSecondRotatingWriterRefused(t *testing.T) {
	const total = 30_000 // about 3 MiB of lines: three rotations at 1 MiB
	dir := t.TempDir()
	out := filepath.Join(dir, "app.log")
	lock := out + ".lock"
	rotate := []string{"--set", "file.max_size_mb=1"}
	first, stdin, stdout, stderr := start(t, fileArgs(t, out, rotate...)...)
	pid := fmt.Sprint(first.Process.Pid)
	waitWhileRunning(t, first, stderr, eventTimeout, fmt.Sprintf("the first run to write its pid %s into %s", pid, lock), func() bool {
		b, err := os.ReadFile(lock)
		return err == nil && strings.TrimSpace(string(b)) == pid
	})
	input := faultInput(total)
	half := bytes.IndexByte(input[len(input)/2:], '\n') + len(input)/2 + 1
	if _, err := stdin.Write(input[:half]); err != nil {
		t.Fatal(err)
	}

	// The second gets no input, nor the end of it: it is to fail before
	// it reads any. Should it not, its input ends after eventTimeout.
	second, stdin2, stdout2, stderr2 := start(t, fileArgs(t, out, rotate...)...)
	began := time.Now()
	timer := time.AfterFunc(eventTimeout, func() { stdin2.Close() })
	r2 := wait(t, second, stdout2, stderr2)
	timer.Stop()
	t.Logf("the second run's stderr:\n%s", r2.stderr)
	if took := time.Since(began); took >= eventTimeout {
		t.Errorf("the second run ended only when its input did, after %v; want it to fail at once", took)
	}
	if r2.code != 1 {
		t.Errorf("the second run's exit status %d, want 1: its only plugin could not be configured", r2.code)
	}
	if lines := linesHolding(r2.stderr, out, lock, pid); len(lines) != 1 {
		t.Errorf("the second run's stderr has %d lines naming %s, %s and pid %s, want 1", len(lines), out, lock, pid)
	}

	if _, err := stdin.Write(input[half:]); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	r := wait(t, first, stdout, stderr)
	t.Logf("the first run's stderr:\n%s", r.stderr)
	wantAllDelivered(t, r, total)
	backups, err := filepath.Glob(filepath.Join(dir, "app-*.log"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(backups) // lumberjack names them by the time of rotation
	if len(backups) < 2 {
		t.Errorf("%d rotated files %q, want at least 2 for %d lines at 1 MiB each", len(backups), backups, total)
	}
	checkFile(t, concat(t, append(backups, out)...), total)
}

// TestTwoAppendingWriters runs two `logplug run` appending to the same
// file without rotation, at the same time, and checks that both are
// allowed, and that the file holds every line of each, whole, once and in
// its order.
func TestTwoAppendingWriters(t *testing.T) {
	const each = 20_000
	out := filepath.Join(t.TempDir(), "app.log")
	type writer struct {
		tag            string
		cmd            *exec.Cmd
		stdout, stderr *bytes.Buffer
	}
	writers := []*writer{{tag: "a"}, {tag: "b"}}
	for _, w := range writers {
		var stdin io.WriteCloser
		w.cmd, stdin, w.stdout, w.stderr = start(t, fileArgs(t, out)...)
		go func() {
			stdin.Write(taggedInput(w.tag, each))
			stdin.Close()
		}()
	}
	for _, w := range writers {
		r := wait(t, w.cmd, w.stdout, w.stderr)
		t.Logf("writer %s's stderr:\n%s", w.tag, r.stderr)
		wantAllDelivered(t, r, each)
	}

	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := fileLines(t, f)
	byTag := map[string][]fileLine{}
	for _, line := range lines {
		l, ok := parseFileLine(line)
		if !ok {
			t.Fatalf("%s has a line that is not whole: %q", out, line)
		}
		tag, _, _ := strings.Cut(l.Msg, " ")
		byTag[tag] = append(byTag[tag], l)
	}
	for _, w := range writers {
		wantMessages(t, "writer "+w.tag, byTag[w.tag], messages(w.tag, 0, each))
	}
	if len(lines) != 2*each {
		t.Errorf("%s has %d lines, want %d, %d of each writer", out, len(lines), 2*each, each)
	}
}
