package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/logplug/logplug/host/load"
	"github.com/logplug/logplug/host/plugincheck"
)

// probeCommand is the hidden first argument that makes logplug load one
// plugin and report on it, as a child process of `logplug check --probe`. A plugin
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

// probeMain is the child's side: it takes the plugin file through the
// whole load pipeline, with the trust flags it is given, the way run does,
// and writes a probeResult to file descriptor 3. Its arguments are
// [--dir DIR] [trust flags] FILE.
func probeMain(args []string) int {
	out := os.NewFile(probeResultFD, "probe-result")
	fs := flag.NewFlagSet(probeCommand, flag.ContinueOnError)
	var tf trustFlags
	tf.register(fs)
	dir := fs.String("dir", "", "the folder pin names are relative to")
	if out == nil || fs.Parse(args) != nil || fs.NArg() != 1 {
		fmt.Fprintf(os.Stderr, "%s %s: an internal command of `%s check --probe`; run that instead\n", progName, probeCommand, progName)
		return 2
	}
	path := fs.Arg(0)
	var res probeResult
	opts, err := tf.options(*dir, os.Stderr)
	if err == nil {
		var p *load.Plugin
		if p, err = load.Load(path, opts); err == nil {
			res.OK, res.Name, res.Version = true, p.Name, p.Version
		}
	}
	if err != nil {
		res.Findings = findingsOf(path, err)
	}
	if err := json.NewEncoder(out).Encode(res); err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: write the result: %v\n", progName, probeCommand, err)
		return 1
	}
	return 0
}

// findingsOf turns an error of the load pipeline into findings.
func findingsOf(path string, err error) []plugincheck.Finding {
	var le *load.Error
	if errors.As(err, &le) {
		return le.AsFindings()
	}
	return []plugincheck.Finding{{File: path, Problem: err.Error()}}
}

// A prober opens plugin files in child processes running this program.
type prober struct {
	exe     string
	args    []string // the child's flags
	timeout time.Duration
}

// newProber returns a prober whose children make the trust checks that
// trustArgs give, with pin names relative to dir, and get timeout each.
func newProber(trustArgs []string, dir string, timeout time.Duration) (*prober, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this program to run the plugins in a child process: %w", err)
	}
	return &prober{exe: exe, args: append([]string{"--dir", dir}, trustArgs...), timeout: timeout}, nil
}

// probe loads the plugin at path in a child process and returns what it
// found. A child that crashes, exits without a result or runs past the
// timeout is a finding.
func (pr *prober) probe(ctx context.Context, path string) probeResult {
	fail := func(problem, fix string) probeResult {
		return probeResult{Findings: []plugincheck.Finding{{File: path, Problem: problem, Fix: fix}}}
	}
	ctx, cancel := context.WithTimeout(ctx, pr.timeout)
	defer cancel()
	r, w, err := os.Pipe()
	if err != nil {
		return fail("can't be loaded in a child process: "+err.Error(), "")
	}
	defer r.Close()
	args := append(append([]string{probeCommand}, pr.args...), "--", path)
	cmd := exec.CommandContext(ctx, pr.exe, args...)
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
		return fail(fmt.Sprintf("did not finish loading within %s: its init functions block", pr.timeout),
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
