package integration

import (
	"bufio"
	"bytes"
	"context"
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

// The fault tests run the real host with a fault fixture and the file
// plugin, and check that the file plugin gets every line exactly once and
// in order whatever the fixture does, that the counts printed are right,
// and that the run ends within the shutdown timeout.

// faultLevels are the levels of the input lines, in turn.
var faultLevels = []string{"info", "warn", "debug", "error"}

// faultInput returns n JSON lines: line i has the message "line i" and the
// labels seq=i and user=u(i%7).
func faultInput(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"level":%q,"msg":"line %d","seq":"%d","user":"u%d"}`+"\n", faultLevels[i%len(faultLevels)], i, i, i%7)
	}
	return b.Bytes()
}

// streamed is what one run of logplug did, fed through a pipe.
type streamed struct {
	result
	// afterEOF is how long logplug ran on after its input ended.
	afterEOF time.Duration
}

// start starts logplug with args, with its standard input a pipe.
func start(t *testing.T, args ...string) (cmd *exec.Cmd, stdin io.WriteCloser, stdout, stderr *bytes.Buffer) {
	t.Helper()
	cmd = exec.Command(logplugBin, args...)
	cmd.Env = append(os.Environ(), "LOGPLUG_PLUGINS=")
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, stdin, stdout, stderr
}

// wait waits for logplug to exit, killing it after two minutes, and
// returns its output and exit status.
func wait(t *testing.T, cmd *exec.Cmd, stdout, stderr *bytes.Buffer) result {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("logplug %s did not end within two minutes; stderr:\n%s", strings.Join(cmd.Args[1:], " "), stderr)
	}
	return resultOf(t, cmd, err, stdout, stderr)
}

// runStreamed runs logplug with args, writes input to it and closes its
// input.
func runStreamed(t *testing.T, input []byte, args ...string) streamed {
	t.Helper()
	cmd, stdin, stdout, stderr := start(t, args...)
	eof := make(chan time.Time, 1)
	go func() {
		stdin.Write(input)
		stdin.Close()
		eof <- time.Now()
	}()
	r := wait(t, cmd, stdout, stderr)
	return streamed{result: r, afterEOF: time.Since(<-eof)}
}

// pluginCounts are the counts run prints for one plugin.
type pluginCounts struct {
	Received, Delivered, Failed, Dropped, Panics, Errors, Lost uint64
	State                                                      string // "", "quarantined", "stuck" or "failing"
}

var countsRE = regexp.MustCompile(`(?m)^logplug: (\S+): received (\d+), delivered (\d+), failed (\d+), dropped (\d+), panics (\d+), errors (\d+), lost (\d+)(?: \((\w+)\))?$`)

// parseCounts returns the counts printed for each plugin, by name.
func parseCounts(t *testing.T, stderr string) map[string]pluginCounts {
	t.Helper()
	out := map[string]pluginCounts{}
	for _, m := range countsRE.FindAllStringSubmatch(stderr, -1) {
		n := make([]uint64, 7)
		for i := range n {
			v, err := strconv.ParseUint(m[2+i], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			n[i] = v
		}
		out[m[1]] = pluginCounts{n[0], n[1], n[2], n[3], n[4], n[5], n[6], m[9]}
	}
	return out
}

var inputSummaryRE = regexp.MustCompile(`(?m)^logplug: input: (\d+) lines read( before SIG\w+)?: (\d+) sent`)

// linesRead returns the number of lines run reported as read.
func linesRead(t *testing.T, stderr string) int {
	t.Helper()
	m := inputSummaryRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no input summary on stderr:\n%s", stderr)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// checkFile checks that the file plugin's output at path holds the first
// n lines of faultInput, each exactly once, in order, with their labels
// as they were sent.
func checkFile(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	i := 0
	for sc.Scan() {
		var rec map[string]string
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("file line %d %q: %v", i+1, sc.Text(), err)
		}
		want := map[string]string{"level": faultLevels[i%len(faultLevels)], "msg": fmt.Sprintf("line %d", i), "seq": fmt.Sprint(i), "user": fmt.Sprintf("u%d", i%7)}
		delete(rec, "time")
		if len(rec) != len(want) {
			t.Fatalf("file line %d = %v, want %v", i+1, rec, want)
		}
		for k, v := range want {
			if rec[k] != v {
				t.Fatalf("file line %d = %v, want %v", i+1, rec, want)
			}
		}
		i++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if i != n {
		t.Fatalf("the file holds %d lines, want %d", i, n)
	}
}

// faultFolder makes a plugin folder with the file plugin and a fixture,
// and returns it with the path the file plugin is to write.
func faultFolder(t *testing.T, fixtureName string) (dir, out string) {
	t.Helper()
	dir = pluginFolder(t, referencePlugin("file"), fixture(fixtureName))
	return dir, filepath.Join(t.TempDir(), "out.log")
}

// exact returns a check that the counts are exactly want.
func exact(want pluginCounts) func(t *testing.T, got pluginCounts) {
	return func(t *testing.T, got pluginCounts) {
		t.Helper()
		if got != want {
			t.Errorf("counts = %+v, want %+v", got, want)
		}
	}
}

// gaveUp returns a check for a plugin the host gave up on: every message
// received is delivered or dropped, at most maxDelivered delivered.
func gaveUp(received, maxDelivered uint64) func(t *testing.T, got pluginCounts) {
	return func(t *testing.T, got pluginCounts) {
		t.Helper()
		if got.Received != received || got.Delivered+got.Dropped != received || got.Delivered > maxDelivered ||
			got.Lost != got.Dropped || got.Panics != 0 || got.State != "stuck" {
			t.Errorf("counts = %+v; want %d received, all delivered or dropped, at most %d delivered, stuck", got, received, maxDelivered)
		}
	}
}

func TestFaultyPlugins(t *testing.T) {
	const many = 100_000
	const shutdown = 2 * time.Second
	tests := []struct {
		name    string
		fixture string
		lines   int
		args    []string
		check   func(t *testing.T, got pluginCounts)
		code    int
		stderr  []string // lines or parts of lines stderr must hold
		timed   bool     // check that run ends within the shutdown timeout
	}{
		{"panics on every call", "panicky", many, nil,
			exact(pluginCounts{Received: many, Dropped: many - 10, Panics: 10, Lost: many, State: "quarantined"}), 1,
			[]string{"plugin panicky panicked in Info: panicky: Info line 0 (further panics are counted, not reported)",
				"plugin panicky quarantined after 10 panics"}, true},
		{"panics on every 100th call", "panic100", many, []string{"--max-panics", "-1"},
			exact(pluginCounts{Received: many, Delivered: many - many/100, Panics: many / 100, Lost: many / 100}), 1,
			[]string{"plugin panic100 panicked in Warn: panic100: call 100 (line 99)"}, true},
		{"sleeps, under drop", "sleepy", many, []string{"--policy", "sleepy=drop", "--queue", "64"},
			gaveUp(many, 10), 1,
			[]string{"plugin sleepy: its queue is full (64 messages): dropping messages for it under policy drop",
				"plugin sleepy is stuck: ", "the shutdown timeout (2s)"}, true},
		{"sleeps, under block", "sleepy", 3, []string{"--queue", "1", "--stall-timeout", "1m"},
			exact(pluginCounts{Received: 3, Delivered: 3}), 0, nil, false},
		{"sleeps, under block with a short stall timeout", "sleepy", 20, []string{"--queue", "2", "--stall-timeout", "300ms"},
			gaveUp(20, 1), 1, []string{"plugin sleepy is stuck: it took no message for 300ms (the stall timeout) while its queue was full"}, true},
		{"blocks, under drop", "blocker", many, []string{"--policy", "drop", "--policy", "file=block", "--queue", "64"},
			gaveUp(many, 0), 1, []string{"plugin blocker is stuck: its queue was still full when the shutdown timeout (2s) ran out"}, true},
		{"blocks, under block", "blocker", 20, []string{"--queue", "2", "--stall-timeout", "300ms"},
			gaveUp(20, 0), 1, []string{"plugin blocker is stuck: it took no message for 300ms", "2 queued messages were not delivered"}, true},
		{"writes to its labels", "mutator", many, nil,
			exact(pluginCounts{Received: many, Delivered: many}), 0, nil, true},
		{"Close fails", "closeerr", many, nil,
			exact(pluginCounts{Received: many, Delivered: many, Errors: 1}), 1,
			[]string{"closeerr: Close: closeerr: the disk went away"}, true},
		{"Flush blocks", "flushblock", many, nil,
			exact(pluginCounts{Received: many, Delivered: many, Errors: 1, State: "stuck"}), 1,
			[]string{"plugin flushblock is stuck: its Flush had not returned when the shutdown timeout (2s) ran out; Close was not called"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, out := faultFolder(t, tt.fixture)
			args := append([]string{"run", "--plugins", dir, "--set", "file.path=" + out, "--shutdown-timeout", shutdown.String()}, tt.args...)
			r := runStreamed(t, faultInput(tt.lines), args...)
			t.Logf("logplug %s\n%s", strings.Join(args, " "), r.stderr)
			if r.code != tt.code {
				t.Errorf("exit status %d, want %d", r.code, tt.code)
			}
			checkFile(t, out, tt.lines)
			counts := parseCounts(t, r.stderr)
			n := uint64(tt.lines)
			if got, want := counts["file"], (pluginCounts{Received: n, Delivered: n}); got != want {
				t.Errorf("file plugin counts = %+v, want %+v", got, want)
			}
			got, ok := counts[tt.fixture]
			if !ok {
				t.Fatalf("no counts for %s", tt.fixture)
			}
			tt.check(t, got)
			if linesRead(t, r.stderr) != tt.lines {
				t.Errorf("input summary does not say %d lines", tt.lines)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q", want)
				}
			}
			// Generous: this catches a run that waits for a stuck
			// plugin (the sleepy one would take a minute to empty its
			// queue), not a slow machine.
			if limit := shutdown + 10*time.Second; tt.timed && r.afterEOF > limit {
				t.Errorf("logplug ran on for %v after its input ended; want at most the shutdown timeout, %v (+10s)", r.afterEOF, shutdown)
			}
		})
	}
}

// TestSIGTERMDeliversEveryLineRead sends SIGTERM to a run halfway through
// a large input, and checks that every line it reports as read is in the
// file, once and in order, and nothing more.
func TestSIGTERMDeliversEveryLineRead(t *testing.T) {
	const total = 1_000_000
	dir := pluginFolder(t, referencePlugin("file"))
	out := filepath.Join(t.TempDir(), "out.log")
	cmd, stdin, stdout, stderr := start(t, "run", "--plugins", dir, "--set", "file.path="+out)
	input := faultInput(total)
	half := bytes.IndexByte(input[len(input)/2:], '\n') + len(input)/2 + 1
	written := make(chan error, 1)
	go func() {
		if _, err := stdin.Write(input[:half]); err != nil {
			written <- err
			return
		}
		written <- nil
		// The rest, until logplug stops reading and exits.
		stdin.Write(input[half:])
		stdin.Close()
	}()
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := wait(t, cmd, stdout, stderr)
	t.Logf("stderr:\n%s", r.stderr)
	if r.code != 0 {
		t.Errorf("exit status %d, want 0", r.code)
	}
	if !strings.Contains(r.stderr, "logplug: SIGTERM: reading no more input") {
		t.Errorf("stderr does not report the signal")
	}
	read := linesRead(t, r.stderr)
	if read == 0 || read >= total {
		t.Errorf("read %d lines of %d: the signal did not come halfway", read, total)
	}
	checkFile(t, out, read)
	n := uint64(read)
	if got, want := parseCounts(t, r.stderr)["file"], (pluginCounts{Received: n, Delivered: n}); got != want {
		t.Errorf("file plugin counts = %+v, want %+v", got, want)
	}
}

// TestSecondSIGINTExitsAtOnce interrupts a run whose shutdown waits for a
// Flush that never returns, and checks that it exits at once, saying what
// it did.
func TestSecondSIGINTExitsAtOnce(t *testing.T) {
	dir, out := faultFolder(t, "flushblock")
	cmd, stdin, stdout, stderr := start(t, "run", "--plugins", dir, "--set", "file.path="+out, "--shutdown-timeout", "1h")
	if _, err := stdin.Write(faultInput(1000)); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	// Once the input has ended run waits for the plugins, and any signal
	// is the second: wait until the file plugin has closed, so that only
	// flushblock's Flush is left.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		if b, err := os.ReadFile(out); err == nil && bytes.Count(b, []byte("\n")) == 1000 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the file plugin did not get 1000 lines; stderr:\n%s", stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	r := wait(t, cmd, stdout, stderr)
	t.Logf("stderr:\n%s", r.stderr)
	if r.code != 1 {
		t.Errorf("exit status %d, want 1", r.code)
	}
	for _, want := range []string{"logplug: signal during shutdown: exiting without waiting for the plugins",
		"logplug: input: 1000 lines read: 1000 sent", "logplug run: interrupted during shutdown: 0 messages were not delivered"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if got, want := parseCounts(t, r.stderr)["flushblock"], (pluginCounts{Received: 1000, Delivered: 1000}); got != want {
		t.Errorf("flushblock counts = %+v, want %+v", got, want)
	}
}
