package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/logplug/logplug/host"
	"github.com/logplug/logplug/host/plugincheck"
)

// probeCommand is the hidden first argument that makes logplug load one
// plugin and report on it, as a child process of `logplug check`. A plugin
// whose init functions panic, crash or hang the process only takes the
// child down.
const probeCommand = "__probe"

// probeResultFD is the file descriptor the child writes its result to, as
// JSON; its standard output and error are the plugin's to use.
const probeResultFD = 3

// A probeResult is what the child reports about the plugin it loaded.
type probeResult struct {
	OK       bool                  `json:"ok"`
	Name     string                `json:"name,omitempty"`
	Version  string                `json:"version,omitempty"`
	Findings []plugincheck.Finding `json:"findings,omitempty"`
}

// probeMain is the child's side: it loads the plugin at path the way run
// does and writes a probeResult to file descriptor 3.
func probeMain(args []string) int {
	out := os.NewFile(probeResultFD, "probe-result")
	if len(args) != 1 || out == nil {
		fmt.Fprintf(os.Stderr, "%s %s: an internal command of `%s check`; run that instead\n", progName, probeCommand, progName)
		return 2
	}
	var res probeResult
	p, err := host.Load(args[0])
	if err != nil {
		res.Findings = findingsOf(args[0], err)
	} else {
		res.OK, res.Name, res.Version = true, p.Name, p.Version
	}
	if err := json.NewEncoder(out).Encode(res); err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: write the result: %v\n", progName, probeCommand, err)
		return 1
	}
	return 0
}

// probe loads the plugin at path in a child process running exe and
// returns what it found. A child that crashes, exits without a result or
// runs past timeout is a finding.
func probe(ctx context.Context, exe, path string, timeout time.Duration) probeResult {
	fail := func(problem, fix string) probeResult {
		return probeResult{Findings: []plugincheck.Finding{{File: path, Problem: problem, Fix: fix}}}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r, w, err := os.Pipe()
	if err != nil {
		return fail("can't be loaded in a child process: "+err.Error(), "")
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, exe, probeCommand, path)
	cmd.ExtraFiles = []*os.File{w} // descriptor 3
	var stderr headBuffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	cmd.WaitDelay = time.Second // don't wait for what the plugin may have started
	err = cmd.Start()
	w.Close()
	if err != nil {
		return fail("can't be loaded in a child process: "+err.Error(), "")
	}
	data, _ := io.ReadAll(r)
	waitErr := cmd.Wait()
	var res probeResult
	if json.Unmarshal(data, &res) == nil && (res.OK || len(res.Findings) > 0) {
		return res
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fail(fmt.Sprintf("did not finish loading within %s: its init functions block", timeout),
			"make its init functions return promptly (start long work in Configure or a goroutine), or raise --timeout")
	}
	return fail("crashed the process that loaded it: "+crashCause(stderr.String(), waitErr),
		"fix the plugin's init functions; to see the whole message, run: "+progName+" emit --plugin "+path+" test")
}

// crashCause picks the line that says why a Go process died from its
// standard error, with its exit status.
func crashCause(stderr string, err error) string {
	var cause string
	for _, line := range strings.Split(stderr, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "fatal error:") || strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "SIGSEGV") ||
			strings.HasPrefix(line, "unexpected signal") {
			cause = line
			break
		}
		if cause == "" && line != "" {
			cause = line
		}
	}
	status := "no result"
	if err != nil {
		status = err.Error()
	}
	if cause == "" {
		return status
	}
	return cause + " (" + status + ")"
}

// headBuffer keeps the first 64 KiB written to it: enough for the message
// of a fatal error, not the whole of a plugin's chatter.
type headBuffer struct{ bytes.Buffer }

func (b *headBuffer) Write(p []byte) (int, error) {
	if room := 64<<10 - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
