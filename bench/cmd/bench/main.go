// Command bench measures logplug against its performance goals, prints the
// results table and writes the whole report as Markdown; the work is done by
// package harness. `go tool mage bench` builds the host and the plugins,
// then runs it from the bench folder with GOWORK=off:
//
//	go run ./cmd/bench -root ROOT -host ROOT/bin/logplug -plugins ROOT/bin/plugins \
//		-outdir ROOT/bin/bench -goflags "-trimpath -buildvcs=false" -o ROOT/BENCHMARKS.md
//
// -goflags are the flags the host and the plugins were built with (Mage
// passes those of its package build; `logplug version` prints them), so that
// the test binaries and programs it builds can load the plugins. -short
// takes one round over fewer lines and skips the cold build: a check that
// everything runs, whose figures are not those the goals are stated for.
// -keep keeps the temporary folder, with the copies of the plugins, the test
// binaries and the input, and says where it is.
//
// It exits 1 if a step failed (the table says which), and 2 on a usage
// error; a goal that was measured and missed is in the table, not an error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/logplug/logplug/bench/harness"
)

func main() {
	log := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...) }
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	var (
		root    = fs.String("root", "", "the repository `folder`")
		hostBin = fs.String("host", "", "the host program that go tool mage build built (`file` bin/logplug)")
		plugins = fs.String("plugins", "", "the `folder` of the plugins it built (bin/plugins)")
		outDir  = fs.String("outdir", "", "the `folder` that keeps the profile of goal 4 and its test binary (bin/bench)")
		goflags = fs.String("goflags", "", "the go build `flags` the host and the plugins were built with, separated by spaces")
		out     = fs.String("o", "", "the `file` to write the report to")
		short   = fs.Bool("short", false, "one round over fewer lines, no cold build: a check that everything runs")
		keep    = fs.Bool("keep", false, "keep the temporary folder and say where it is")
	)
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		log("unexpected arguments %q", fs.Args())
		os.Exit(2)
	}
	paths := []struct {
		flag string
		path *string
	}{{"root", root}, {"host", hostBin}, {"plugins", plugins}, {"outdir", outDir}, {"o", out}}
	for _, p := range paths {
		if *p.path == "" {
			log("-%s is required; run go tool mage bench, which passes every flag", p.flag)
			os.Exit(2)
		}
		abs, err := filepath.Abs(*p.path)
		if err != nil {
			log("%v", err)
			os.Exit(2)
		}
		*p.path = abs
	}
	if strings.TrimSpace(*goflags) == "" {
		log("-goflags is required: the flags the host and the plugins were built with (logplug version prints them); run go tool mage bench, which passes them")
		os.Exit(2)
	}

	cfg := harness.DefaultConfig(os.Stdout)
	if *short {
		cfg = harness.ShortConfig(os.Stdout)
	}
	cfg.Root, cfg.Host, cfg.Plugins, cfg.OutDir = *root, *hostBin, *plugins, *outDir
	cfg.GoFlags = strings.Fields(*goflags)
	cfg.KeepTemp = *keep

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	report, err := harness.Run(ctx, cfg)
	if report != nil {
		fmt.Printf("\n%s\n", report.Table())
		if werr := os.MkdirAll(filepath.Dir(*out), 0o755); werr != nil {
			err = errors.Join(err, werr)
		} else if werr := os.WriteFile(*out, []byte(report.Markdown()), 0o644); werr != nil {
			err = errors.Join(err, werr)
		}
		name := *out
		if rel, rerr := filepath.Rel(*root, *out); rerr == nil && !strings.HasPrefix(rel, "..") {
			name = rel
		}
		fmt.Printf("bench: %s written in %s", name, time.Since(start).Round(time.Second))
		switch missed := report.Missed(); len(missed) {
		case 0:
		case 1:
			fmt.Print("; 1 row missed its goal or failed")
		default:
			fmt.Printf("; %d rows missed their goal or failed", len(missed))
		}
		fmt.Println()
	}
	if err != nil {
		log("%v", err)
		os.Exit(1)
	}
}
