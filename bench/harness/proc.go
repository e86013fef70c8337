package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// A proc is a program run to be timed.
type proc struct {
	// Args are the program and its arguments.
	Args []string
	// Dir is the working folder; empty means the current one.
	Dir string
	// Stdin names the file read as standard input; empty means none.
	Stdin string
	// Env are extra environment variables.
	Env []string
}

// A procResult is what running a proc measured.
type procResult struct {
	// Wall is the time from starting the program to its exit.
	Wall time.Duration
	// MaxRSS is the program's peak resident set size in bytes, or 0 where
	// the system does not report it.
	MaxRSS int64
}

// run runs the program with standard output going to /dev/null and returns
// what it measured. A program that fails is an error that quotes the end of
// its standard error.
func (p proc) run(ctx context.Context) (procResult, error) {
	cmd := exec.CommandContext(ctx, p.Args[0], p.Args[1:]...)
	cmd.Dir = p.Dir
	cmd.Env = append(os.Environ(), p.Env...)
	if p.Stdin != "" {
		f, err := os.Open(p.Stdin)
		if err != nil {
			return procResult{}, err
		}
		defer f.Close()
		cmd.Stdin = f
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return procResult{}, err
	}
	defer devNull.Close()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = devNull, &stderr
	start := time.Now()
	err = cmd.Run()
	res := procResult{Wall: time.Since(start)}
	if err != nil {
		tail := stderr.String()
		if len(tail) > 2000 {
			tail = "..." + tail[len(tail)-2000:]
		}
		return res, fmt.Errorf("%s: %w\n%s", strings.Join(p.Args, " "), err, tail)
	}
	res.MaxRSS = maxRSS(cmd.ProcessState)
	return res, nil
}
