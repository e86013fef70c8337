package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/logplug/logplug/host"
	"github.com/logplug/logplug/host/plugincheck"
)

// defaultProbeTimeout is how long check gives a plugin to load in the
// child process.
const defaultProbeTimeout = 10 * time.Second

func checkCommand() *Command {
	var (
		dir     string
		asJSON  bool
		timeout time.Duration
	)
	return &Command{
		Name:      "check",
		UsageLine: "logplug check [--plugins DIR | FILE...] [--json] [--timeout DURATION]",
		Short:     "explain every plugin that can't load, without loading it",
		Long: `
Check says, for each plugin file, whether it loads into this host and, if
not, why and what to do about it. It checks the files named as arguments,
or else every .so file in the plugin folder.

First it reads what each file carries, without opening it as a plugin: its
format and platform, its Go version and build settings (-trimpath, -race,
-tags, GOAMD64, ...), the version and checksum of every module it shares
with the host, the fingerprint of every package it shares with the host,
its main package path (two files with the same one can't both load), and
whether it exports LoggingPlugin. Each mismatch is one line:

	FILE: PROBLEM; fix: FIX

Then it loads each file that passed in a child process (this program run
again), to confirm that its init functions return and that LoggingPlugin
has the methods of a logger. A panic, a crash or a hang there is reported,
and can't take the check down. A file that passes prints

	FILE: ok (NAME VERSION)

With --json, check prints the same as a JSON array with one object per
file: {"file", "ok", "name", "version", "plugin_path", "findings"}, each
finding being {"file", "problem", "have", "want", "fix"}.

Check exits 0 only if every file passes, 1 otherwise. run, emit and list
make the same checks, but not the child process, before loading; see
README.md, "When a plugin won't load".`,
		setFlags: func(fs *flag.FlagSet) {
			def := os.Getenv(pluginsEnv)
			if def == "" {
				def = defaultPluginDir
			}
			fs.StringVar(&dir, "plugins", def, "check every `DIR`/*.so; $"+pluginsEnv+" sets the default")
			fs.BoolVar(&asJSON, "json", false, "print the findings as a JSON array")
			fs.DurationVar(&timeout, "timeout", defaultProbeTimeout, "give each plugin `DURATION` to load in the child process")
		},
		Run: func(ctx context.Context, c *Command, args []string) error {
			dirSet := false
			c.Flag.Visit(func(f *flag.Flag) { dirSet = dirSet || f.Name == "plugins" })
			if dirSet && len(args) > 0 {
				return usagef("give --plugins DIR or plugin files, not both")
			}
			if timeout <= 0 {
				return usagef("--timeout must be positive")
			}
			paths := args
			if len(paths) == 0 {
				found, err := host.Discover(dir)
				if err != nil {
					return fmt.Errorf("%w (set --plugins or $%s to the folder that holds your .so files)", err, pluginsEnv)
				}
				if len(found) == 0 {
					return fmt.Errorf("no plugins: %s holds no .so file", dir)
				}
				paths = found
			}
			reports, err := checkFiles(ctx, paths, timeout)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(c.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(reports); err != nil {
					return err
				}
			} else {
				printReports(c.stdout, reports)
			}
			failed := 0
			for _, r := range reports {
				if !r.OK {
					failed++
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d plugins won't load", failed, len(reports))
			}
			return nil
		},
	}
}

// A fileReport is what check found for one file.
type fileReport struct {
	File       string                `json:"file"`
	OK         bool                  `json:"ok"`
	Name       string                `json:"name,omitempty"`
	Version    string                `json:"version,omitempty"`
	PluginPath string                `json:"plugin_path,omitempty"`
	Findings   []plugincheck.Finding `json:"findings"`
}

// checkFiles checks every file statically, then loads each that passed in
// a child process of its own.
func checkFiles(ctx context.Context, paths []string, timeout time.Duration) ([]fileReport, error) {
	self, err := plugincheck.Self()
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this program to run the plugins in a child process: %w", err)
	}
	var reports []fileReport
	for _, r := range self.Check(paths) {
		rep := fileReport{File: r.File.Path, PluginPath: r.File.PluginPath, Findings: r.Findings}
		if r.OK() {
			res := probe(ctx, exe, r.File.Path, timeout)
			rep.OK, rep.Name, rep.Version, rep.Findings = res.OK, res.Name, res.Version, res.Findings
		}
		if rep.Findings == nil {
			rep.Findings = []plugincheck.Finding{}
		}
		reports = append(reports, rep)
	}
	return reports, nil
}

// printReports writes one line per finding, or an "ok" line for a file
// that passed.
func printReports(w io.Writer, reports []fileReport) {
	for _, r := range reports {
		if r.OK {
			about := r.Name
			if r.Version != "" {
				about += " " + r.Version
			}
			fmt.Fprintf(w, "%s: ok (%s)\n", r.File, about)
			continue
		}
		for _, f := range r.Findings {
			fmt.Fprintln(w, f)
		}
	}
}

// findingsOf turns an error of host.Load into findings.
func findingsOf(path string, err error) []plugincheck.Finding {
	var le *host.LoadError
	if errors.As(err, &le) {
		if len(le.Findings) > 0 {
			return le.Findings
		}
		return []plugincheck.Finding{{File: path, Problem: le.Err.Error(), Fix: le.Fix}}
	}
	return []plugincheck.Finding{{File: path, Problem: err.Error()}}
}
