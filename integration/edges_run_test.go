package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The edge tests of `logplug run`: a closed output, the input taken at a
// signal, a slow plugin at the end, and settings with mistakes. Each
// drives the built program as an operator would.

// TestClosedOutput closes run's standard output or standard error while
// it runs with stdoutjson and the file plugin: run is not killed by
// SIGPIPE, the file plugin gets every line, and a broken standard output
// counts against stdoutjson alone.
func TestClosedOutput(t *testing.T) {
	const n = 100_000
	tests := []struct {
		name   string
		closed string // "stdout" or "stderr"
		code   int
	}{
		{"standard output closed", "stdout", 1},
		{"standard error closed", "stderr", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := pluginFolder(t, referencePlugin("file"), referencePlugin("stdoutjson"))
			out := filepath.Join(t.TempDir(), "out.log")
			cmd := exec.Command(logplugBin, "run", "--plugins", dir, "--set", "file.path="+out)
			cmd.Env = append(os.Environ(), "LOGPLUG_PLUGINS=")
			cmd.Stdin = bytes.NewReader(faultInput(n))
			// A pipe whose reader is gone before the first write, as
			// after `| head -1` has read its line.
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			pr.Close()
			defer pw.Close()
			var stderr bytes.Buffer
			if tt.closed == "stdout" {
				cmd.Stdout, cmd.Stderr = pw, &stderr
			} else {
				cmd.Stdout, cmd.Stderr = io.Discard, pw
			}
			err = cmd.Run()
			r := resultOf(t, cmd, err, &bytes.Buffer{}, &stderr)
			t.Logf("stderr:\n%s", r.stderr)
			if r.code != tt.code {
				t.Fatalf("exit status %d, want %d (141 is death by SIGPIPE)", r.code, tt.code)
			}
			checkFile(t, out, n)
			if tt.closed == "stderr" {
				return // the report went nowhere, and that is all
			}
			counts := parseCounts(t, r.stderr)
			if got, want := counts["file"], (pluginCounts{Received: n, Delivered: n}); got != want {
				t.Errorf("file counts = %+v, want %+v", got, want)
			}
			s := counts["stdoutjson"]
			if s.Received != n || s.State != "failing" || s.Failed == 0 || s.Lost != s.Dropped+s.Failed || s.Delivered+s.Dropped != n {
				t.Errorf("stdoutjson counts = %+v; want %d received, failing, each lost message failed or dropped", s, n)
			}
			for _, want := range []string{
				"plugin stdoutjson: a write failed: write /dev/stdout: broken pipe (further failures are counted as lost, not reported)",
				"plugin stdoutjson stopped: its last ",
				"logplug: stdoutjson: latest failure: write /dev/stdout: broken pipe",
			} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q", want)
				}
			}
		})
	}
}

// pipedRun is a `logplug run` reading from a pipe that the test keeps
// writing numbered lines to (see faultInput) until it stops.
type pipedRun struct {
	cmd            *exec.Cmd
	stdout, stderr *bytes.Buffer
	rest           *os.File // the pipe's read end, which run shares
	out            string   // the file plugin's output
}

// startPiped starts run with the file plugin and the plugins of extra,
// and writes up to total numbered lines into its input pipe.
func startPiped(t *testing.T, total int, args []string, extra ...string) *pipedRun {
	t.Helper()
	dir := pluginFolder(t, append([]string{referencePlugin("file")}, extra...)...)
	p := &pipedRun{out: filepath.Join(t.TempDir(), "out.log"), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.rest = pr
	t.Cleanup(func() { pr.Close() })
	p.cmd = exec.Command(logplugBin, append([]string{"run", "--plugins", dir, "--set", "file.path=" + p.out}, args...)...)
	p.cmd.Env = append(os.Environ(), "LOGPLUG_PLUGINS=")
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = pr, p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	input := faultInput(total)
	go func() {
		// Written in pieces of 1000 bytes, cut anywhere, so that run sees
		// lines split across reads. It ends when the test closes the
		// read end (EPIPE) or the input is all written.
		for len(input) > 0 {
			n := min(1000, len(input))
			if _, err := pw.Write(input[:n]); err != nil {
				break
			}
			input = input[n:]
		}
		pw.Close()
	}()
	return p
}

// waitLines waits until the file plugin's output holds at least n lines.
func (p *pipedRun) waitLines(t *testing.T, n int) {
	t.Helper()
	waitWhileRunning(t, p.cmd, p.stderr, time.Minute, fmt.Sprintf("%d lines in the file plugin's output", n),
		func() bool { return lineCount(p.out) >= n })
}

// resumesAt reads the pipe after run has ended and returns the number of
// the first whole line left in it, skipping the rest of a line that run
// took part of (then cut is true).
func (p *pipedRun) resumesAt(t *testing.T) (seq int, cut bool) {
	t.Helper()
	br := bufio.NewReader(p.rest)
	for range 2 {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the rest of the pipe: %v", err)
		}
		var rec struct{ Seq string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Seq != "" {
			n, _ := strconv.Atoi(rec.Seq)
			return n, cut
		}
		cut = true
	}
	t.Fatal("the rest of the pipe starts with two lines that are not whole")
	return 0, false
}

// TestSIGTERMTakesNoLineItDoesNotDeliver sends SIGTERM to run while its
// input pipe is full and still being written, then reads the rest of the
// pipe: the lines in the file plugin's output and those left in the pipe
// follow on with no gap, so no line was taken and thrown away.
func TestSIGTERMTakesNoLineItDoesNotDeliver(t *testing.T) {
	const total = 2_000_000
	p := startPiped(t, total, nil)
	p.waitLines(t, 50_000)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := wait(t, p.cmd, p.stdout, p.stderr)
	t.Logf("stderr:\n%s", r.stderr)
	if r.code != 0 {
		t.Errorf("exit status %d, want 0", r.code)
	}
	read := linesRead(t, r.stderr)
	checkFile(t, p.out, read)
	if got, want := parseCounts(t, r.stderr)["file"], (pluginCounts{Received: uint64(read), Delivered: uint64(read)}); got != want {
		t.Errorf("file counts = %+v, want %+v", got, want)
	}
	next, cut := p.resumesAt(t)
	if next != read || cut {
		t.Errorf("the file ends at line %d, and the pipe resumes at line %d (cut %v): %d lines were taken and not delivered",
			read-1, next, cut, next-read)
	}
}

var untakenRE = regexp.MustCompile(`(?m)^logplug: input: (\d+) lines( and part of a line)? \((\d+) bytes\) taken from the input were not sent$`)

// TestSecondSIGTERMReportsWhatWasTaken sends a second SIGTERM while run is
// still delivering, at the pace of a slow plugin, the lines it had read at
// the first: run exits at once, and the lines it says it sent plus those
// it says it took and did not send are exactly the lines missing from the
// pipe.
func TestSecondSIGTERMReportsWhatWasTaken(t *testing.T) {
	p := startPiped(t, 1_000_000, []string{"--queue", "16"}, fixture("slow"))
	p.waitLines(t, 20)
	for range 2 {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		waitWhileRunning(t, p.cmd, p.stderr, time.Minute, "the first signal's report",
			func() bool { return strings.Contains(syncString(p.stderr), "reading no more input") })
	}
	r := wait(t, p.cmd, p.stdout, p.stderr)
	t.Logf("stderr:\n%s", r.stderr)
	if r.code != 1 {
		t.Errorf("exit status %d, want 1", r.code)
	}
	sent := linesRead(t, r.stderr)
	m := untakenRE.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("stderr does not say what was taken and not sent")
	}
	untaken, _ := strconv.Atoi(m[1])
	next, cut := p.resumesAt(t)
	if next != sent+untaken || cut != (m[2] != "") {
		t.Errorf("run sent %d lines and says it took %d more%s; the pipe resumes at line %d (after part of a line: %v)",
			sent, untaken, m[2], next, cut)
	}
	if c := parseCounts(t, r.stderr)["slow"]; c.Received != uint64(sent) || c.Lost == 0 {
		t.Errorf("slow counts = %+v; want %d received, some lost", c, sent)
	}
}

// syncString reads a buffer that a running command writes to. The copy
// may race with a write; it is only searched for a line written before.
func syncString(b *bytes.Buffer) string { return string(bytes.Clone(b.Bytes())) }

// TestSlowIsNotStuck ends the input of a run whose plugin takes 10 ms per
// message, 6 s in all, more than the shutdown took at most before: the
// plugin gets every line, since it keeps taking them. One that stops
// taking them is stuck after --stall-timeout, and the report names the
// flags that give more time.
func TestSlowIsNotStuck(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		lines   int
		args    []string
		check   func(t *testing.T, got pluginCounts)
		code    int
		stderr  []string
	}{
		{"slow", "slow", 600, nil, exact(pluginCounts{Received: 600, Delivered: 600}), 0, nil},
		{"stops", "blocker", 20, []string{"--stall-timeout", "1s"}, gaveUp(20, 0), 1, []string{
			"plugin blocker is stuck: it had not taken every queued message when it made no progress for 1s (the stall timeout)",
			"logplug: blocker: to give a slow plugin more time, raise --stall-timeout (how long it may make no progress) or --shutdown-timeout (the longest the end may take)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, out := faultFolder(t, tt.fixture)
			r := runStreamed(t, faultInput(tt.lines), append([]string{"run", "--plugins", dir, "--set", "file.path=" + out}, tt.args...)...)
			t.Logf("stderr:\n%s", r.stderr)
			if r.code != tt.code {
				t.Errorf("exit status %d, want %d", r.code, tt.code)
			}
			checkFile(t, out, tt.lines)
			tt.check(t, parseCounts(t, r.stderr)[tt.fixture])
			for _, want := range tt.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q", want)
				}
			}
		})
	}
}

// TestSettingsMistakes gives run settings with mistakes in them: each is
// refused with one line that says where the mistake is and what was
// expected.
func TestSettingsMistakes(t *testing.T) {
	tests := []struct {
		name   string
		config string // the settings file's contents, if any
		args   []string
		want   string // the error, after "logplug emit: "; CONFIG stands for the file
	}{
		{"a trailing comma", "{\n  \"file\": {\"path\": \"a.log\",}\n}\n", nil,
			"CONFIG:2:28: invalid character '}' looking for beginning of object key string"},
		{"an empty file", "", nil,
			`CONFIG:1:1: the file is empty: want a JSON object of plugin names, each an object of settings, such as {"file": {"path": "app.log"}}`},
		{"a value that is an object", "{\"file\": {\n  \"path\": {\"to\": \"a.log\"}}}", nil,
			`CONFIG:2:11: file.path: value {"to": "a.log"} is an object, want a string, number or boolean`},
		{"a misspelt key", "", []string{"--set", "file.maxsize=3"},
			`setting maxsize="3": unknown key; did you mean max_size_mb? (the keys are format, max_backups, max_size_mb, mode and path)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := pluginFolder(t, referencePlugin("file"))
			args := []string{"emit", "--plugins", dir, "--set", "file.path=" + filepath.Join(t.TempDir(), "out.log")}
			config := ""
			if tt.config != "" || tt.args == nil {
				config = filepath.Join(t.TempDir(), "logplug.json")
				if err := os.WriteFile(config, []byte(tt.config), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--config", config)
			}
			r := logplug(t, "", append(append(args, tt.args...), "hello")...)
			want := strings.ReplaceAll(tt.want, "CONFIG", config)
			if r.code != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("exit status %d, stderr:\n%s\nwant status 1 and %q", r.code, r.stderr, want)
			}
		})
	}
}

// TestSIGKILLLosesAtMostTheReadAhead kills run with SIGKILL while it
// reads a pipe, and measures how many lines were taken from the pipe and
// never written: the most that can be lost to a signal that can't be
// caught, which docs/run-input.md states.
func TestSIGKILLLosesAtMostTheReadAhead(t *testing.T) {
	p := startPiped(t, 2_000_000, nil)
	p.waitLines(t, 50_000)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wait(t, p.cmd, p.stdout, p.stderr)
	b, err := os.ReadFile(p.out)
	if err != nil {
		t.Fatal(err)
	}
	written := bytes.Count(b, []byte("\n"))
	next, _ := p.resumesAt(t)
	lost := next - written
	lineSize := len(faultInput(1000)) / 1000
	// What run may hold: its reads ahead (6 buffers of 64 KiB and the
	// line reader's 64 KiB), a queue of 1024 messages for the plugin,
	// and the file plugin's one line being written.
	bound := (7*64<<10)/lineSize + 1024 + 2
	t.Logf("SIGKILL: %d lines written, the pipe resumes at line %d: %d lines lost (%d bytes of %d-byte lines); the bound is %d",
		written, next, lost, lost*lineSize, lineSize, bound)
	if lost < 0 || lost > bound {
		t.Errorf("%d lines lost to SIGKILL, want between 0 and %d", lost, bound)
	}
	fmt.Fprintf(os.Stderr, "integration: SIGKILL lost %d lines of %d bytes\n", lost, lineSize)
}
