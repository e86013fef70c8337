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
	"runtime"
	"strings"
	"testing"
	"time"
)

// Helpers of the tests of the file plugin's edges (edges_file_test.go).

// pollInterval is how often waitUntil looks again.
const pollInterval = 5 * time.Millisecond

// underCI reports whether the tests run under CI (CI=true), where a tool or
// a privilege that a test needs and can't have is a failure, not a reason
// to skip.
func underCI() bool { return os.Getenv("CI") == "true" }

// skipUnlessCI skips the test, saying why, or fails it under CI.
func skipUnlessCI(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if underCI() {
		t.Fatalf("%s (under CI=true this is a failure, not a skip)", msg)
	}
	t.Skip(msg)
}

// needLinux skips the test on other systems: what it drives (tmpfs,
// /dev/full, /proc, the Debian package of a tool) is Linux's.
func needLinux(t *testing.T, what string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("%s needs Linux; this is %s", what, runtime.GOOS)
	}
}

// eventually calls cond every pollInterval until it returns true, and
// reports whether it did within the deadline.
func eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollInterval)
	}
	return true
}

// waitUntil is eventually, failing the test, with what it waited for, if
// cond did not hold within the deadline.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if !eventually(within, cond) {
		t.Fatalf("waited %v for %s", within, what)
	}
}

// waitWhileRunning is waitUntil for a condition on a running logplug: if
// cond does not hold in time, it stops logplug and fails the test with
// what logplug printed.
func waitWhileRunning(t *testing.T, cmd *exec.Cmd, stderr *bytes.Buffer, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if eventually(within, cond) {
		return
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("waited %v for %s; logplug's stderr:\n%s", within, what, stderr)
}

// lineCount returns the number of newlines in the file at path: 0 for a
// file that does not exist.
func lineCount(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return bytes.Count(b, []byte("\n"))
}

// concat writes the files in order into one new temporary file, whose
// path it returns, so that checkFile can read them as one.
func concat(t *testing.T, paths ...string) string {
	t.Helper()
	out, err := os.Create(filepath.Join(t.TempDir(), "concat.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := out.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	return out.Name()
}

// inputLines returns the first n lines of faultInput, each with its
// newline, to be written one by one.
func inputLines(n int) [][]byte {
	return bytes.SplitAfter(bytes.TrimSuffix(faultInput(n), []byte("\n")), []byte("\n"))
}

// taggedInput returns n JSON lines with the message "TAG i" and the label
// seq=i, so that the lines of several writers of one file can be told
// apart.
func taggedInput(tag string, n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"msg":"%s %d","seq":"%d"}`+"\n", tag, i, i)
	}
	return b.Bytes()
}

// fileLine is one line the file plugin wrote in its JSON format.
type fileLine struct {
	Time time.Time `json:"time"`
	Msg  string    `json:"msg"`
	Seq  string    `json:"seq"`
}

// parseFileLine parses one line of the file plugin's JSON output, without
// its newline. ok is false for anything that is not one JSON object, such
// as a line cut short or two lines glued together.
func parseFileLine(line []byte) (l fileLine, ok bool) {
	return l, json.Unmarshal(line, &l) == nil
}

// fileLines reads the lines of the file at r, without their newlines; a
// last line without a newline is returned too.
func fileLines(t *testing.T, r io.Reader) [][]byte {
	t.Helper()
	var lines [][]byte
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// latestFailure returns what run printed as plugin name's latest failure,
// or "" if it printed none.
func latestFailure(stderr, name string) string {
	re := regexp.MustCompile(`(?m)^logplug: ` + regexp.QuoteMeta(name) + `: latest failure: (.*)$`)
	if m := re.FindStringSubmatch(stderr); m != nil {
		return m[1]
	}
	return ""
}

// linesHolding returns the lines of s that hold every one of parts.
func linesHolding(s string, parts ...string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			out = append(out, line)
		}
	}
	return out
}
