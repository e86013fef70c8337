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

	"github.com/logplug/logplug/host/load"
	"github.com/logplug/logplug/host/plugincheck"
)

// defaultProbeTimeout is how long check --probe gives a plugin to load in
// the child process.
const defaultProbeTimeout = 10 * time.Second

func checkCommand() *Command {
	var (
		dir     string
		asJSON  bool
		probeIt bool
		timeout time.Duration
		tf      trustFlags
	)
	return &Command{
		Name:      "check",
		UsageLine: "logplug check [--plugins DIR | FILE...] [trust flags] [--json] [--probe [--timeout DURATION]]",
		Short:     "explain every plugin that can't load, without running any of its code",
		Long: `
Check says, for each plugin file, whether it loads into this host and, if
not, why and what to do about it. It checks the files named as arguments,
or else every .so file in the plugin folder. By default it runs none of
the plugins' code: it is safe to run on a file you do not trust yet.

It makes every check that run, emit and list make before they open a file,
in the same order. First the trust checks, with the same flags as run (see
below). Then it reads what each file carries, without opening it as a
plugin: its format and platform, its Go version and build settings
(-trimpath, -race, -tags, GOAMD64, ...), the version and checksum of every
module it shares with the host, the fingerprint of every package it shares
with the host, its plugin path, and whether it exports LoggingPlugin. Last,
it compares the files with each other: two files with the same plugin path
can't both load, two plugins must link the same form of every module they
share, and a byte-identical copy of another file is loaded once, as that
file. Each problem is one line:

	FILE: PROBLEM; fix: FIX

A file that passes prints

	FILE: ok (static checks; plugin path PATH)

With --probe, check then opens each file that passed every check in a
child process (this program run again, with the same trust flags), to
confirm that its init functions return and that LoggingPlugin has the
methods of a logger. This RUNS THE PLUGIN'S CODE, with your rights: give
--probe only for files you would let run load. A panic, a crash or a hang
in the child is reported, and can't take the check down. A file that
passes the probe prints

	FILE: ok (NAME VERSION)

With --json, check prints the same as a JSON array with one object per
file: {"file", "ok", "probed", "name", "version", "plugin_path", "copy_of",
"findings"}, each finding being {"file", "problem", "have", "want", "fix"}.

Check exits 0 only if every file passes (a copy passes), 1 otherwise. See
docs/wont-load.md.` + trustFlagsHelp,
		setFlags: func(fs *flag.FlagSet) {
			def := os.Getenv(pluginsEnv)
			if def == "" {
				def = defaultPluginDir
			}
			fs.StringVar(&dir, "plugins", def, "check every `DIR`/*.so; $"+pluginsEnv+" sets the default")
			fs.BoolVar(&asJSON, "json", false, "print the findings as a JSON array")
			fs.BoolVar(&probeIt, "probe", false, "also open each file that passes in a child process: this runs the plugin's code")
			fs.DurationVar(&timeout, "timeout", defaultProbeTimeout, "with --probe, give each plugin `DURATION` to load in the child process")
			tf.register(fs)
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
			paths, err := checkPaths(dir, args)
			if err != nil {
				return err
			}
			opts, err := tf.options(pinsDir(dir, len(args) > 0), c.stderr)
			if err != nil {
				return err
			}
			var p *prober
			if probeIt {
				if p, err = newProber(tf.args(), opts.Dir, timeout); err != nil {
					return err
				}
			}
			return writeReports(c.stdout, checkFiles(ctx, load.New(opts), paths, p), asJSON)
		},
	}
}

// checkPaths returns the files to check: those named, or else those in dir.
func checkPaths(dir string, args []string) ([]string, error) {
	if len(args) > 0 {
		return load.UniquePaths(args), nil
	}
	found, err := load.Discover(dir)
	if err != nil {
		return nil, fmt.Errorf("%w (set --plugins or $%s to the folder that holds your .so files)", err, pluginsEnv)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("no plugins: %s holds no .so file", dir)
	}
	return found, nil
}

// pinsDir returns the folder pin names are relative to: the plugin
// folder, as for run, unless files are named and the folder does not
// exist, when it is the current folder.
func pinsDir(dir string, filesNamed bool) string {
	if filesNamed {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return ""
		}
	}
	return dir
}

// A fileReport is what check found for one file.
type fileReport struct {
	File       string                `json:"file"`
	OK         bool                  `json:"ok"`
	Probed     bool                  `json:"probed"`
	Name       string                `json:"name,omitempty"`
	Version    string                `json:"version,omitempty"`
	PluginPath string                `json:"plugin_path,omitempty"`
	CopyOf     string                `json:"copy_of,omitempty"`
	Findings   []plugincheck.Finding `json:"findings"`
}

// checkFiles takes every file through the load pipeline up to, not
// including, opening it; then, with a prober, opens each that passed in a
// child process of its own.
func checkFiles(ctx context.Context, l *load.Loader, paths []string, p *prober) []fileReport {
	var reports []fileReport
	for _, c := range l.Check(paths) {
		c.Close() // the probe checks and copies the file again, in the child
		rep := fileReport{File: c.Path, CopyOf: c.CopyOf, Findings: []plugincheck.Finding{}}
		if c.File != nil {
			rep.PluginPath = c.File.PluginPath
		}
		var le *load.Error
		switch {
		case errors.As(c.Err, &le):
			rep.Findings = le.AsFindings()
		case c.Err != nil:
			rep.Findings = []plugincheck.Finding{{File: c.Path, Problem: c.Err.Error()}}
		case c.CopyOf != "" || p == nil:
			rep.OK = true
		default:
			res := p.probe(ctx, c.Path)
			rep.Probed, rep.OK, rep.Name, rep.Version = true, res.OK, res.Name, res.Version
			if len(res.Findings) > 0 {
				rep.Findings = res.Findings
			}
		}
		reports = append(reports, rep)
	}
	return reports
}

// writeReports writes the reports, as JSON or as lines, and returns an
// error if some file failed.
func writeReports(w io.Writer, reports []fileReport, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reports); err != nil {
			return err
		}
	} else {
		printReports(w, reports)
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
}

// printReports writes one line per finding, or an "ok" line for a file
// that passed.
func printReports(w io.Writer, reports []fileReport) {
	for _, r := range reports {
		switch {
		case r.CopyOf != "":
			fmt.Fprintln(w, plugincheck.CopyMessage(r.File, r.CopyOf))
		case r.OK && r.Probed:
			about := r.Name
			if r.Version != "" {
				about += " " + r.Version
			}
			fmt.Fprintf(w, "%s: ok (%s)\n", r.File, about)
		case r.OK:
			fmt.Fprintf(w, "%s: ok (static checks; plugin path %s)\n", r.File, r.PluginPath)
		default:
			for _, f := range r.Findings {
				fmt.Fprintln(w, f)
			}
		}
	}
}
