package integration

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestRunWritesEachLineBeforeWaitingForInput checks that `logplug run`
// leaves no line in a plugin's buffer while its input is idle: stdoutjson
// holds lines under run (run flushes it whenever input is idle), and each
// line must still come out before the next one is written.
func TestRunWritesEachLineBeforeWaitingForInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, logplugBin, "run", "--plugins", pluginFolder(t, referencePlugin("stdoutjson")))
	cmd.Env = append(os.Environ(), "LOGPLUG_PLUGINS=")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewReader(stdout)
	for i := range 3 {
		msg := fmt.Sprintf("message %d", i)
		if _, err := fmt.Fprintf(stdin, `{"level":"info","msg":%q,"n":"%d"}`+"\n", msg, i); err != nil {
			t.Fatal(err)
		}
		// The input is now idle: the line must come out without more input
		// and without the end of input. A line that stays held blocks here
		// until the context's deadline kills the program.
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatalf("line %d: %v (stderr: %s)", i, err, stderr.String())
		}
		got := jsonLines(t, line)
		compareRecords(t, got, []map[string]string{record("info", msg, map[string]string{"n": fmt.Sprint(i)})})
	}
	stdin.Close()
	if rest, _ := io.ReadAll(out); len(rest) > 0 {
		t.Errorf("more output after the last line: %q", rest)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("logplug run: %v\n%s", err, stderr.String())
	}
}
