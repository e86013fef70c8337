// Command slogdemo is a program that logs with log/slog and sends its records
// to logplug plugins. The line that makes that happen is
//
//	slog.SetDefault(slog.New(host.NewHandler(h, nil)))
//
// The rest of the program logs as any slog program does; even the log
// package's Print functions reach the plugins, since slog.SetDefault routes
// them through the handler.
//
// Usage:
//
//	slogdemo [-plugins DIR] [-config FILE] [-level LEVEL]
//
// -plugins names the folder whose *.so files are loaded ($LOGPLUG_PLUGINS by
// default, then "plugins"). -config names a JSON file holding each plugin's
// settings, keyed by plugin name:
//
//	{"file": {"path": "app.log"}}
//
// -level is the least level logged, as slog names levels ("debug", "INFO",
// "DEBUG-4"); the default is info.
//
// The program must be built with the build settings of the plugins it loads
// (in this repository, `go tool mage examples` does it); otherwise the Go
// runtime refuses to load them. It exits with status 1 when no plugin
// loaded and 2 for a usage error, and prints each plugin's counts to
// standard error at the end.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/logplug/logplug/host"
)

// progName prefixes every message the program prints.
const progName = "slogdemo"

// levelTrace is a level below debug, which the plugins receive in Log.
const levelTrace = slog.LevelDebug - 4

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run runs the program and returns its exit status.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet(progName, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := os.Getenv("LOGPLUG_PLUGINS")
	if dir == "" {
		dir = "plugins"
	}
	fs.StringVar(&dir, "plugins", dir, "load every `DIR`/*.so; $LOGPLUG_PLUGINS sets the default")
	config := fs.String("config", "", "read plugin settings from JSON `FILE`, such as {\"file\": {\"path\": \"app.log\"}}")
	level := slog.LevelInfo
	fs.TextVar(&level, "level", level, "log records at `LEVEL` and above (debug, info, warn, error, DEBUG-4, ...)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", progName, fs.Args())
		return 2
	}

	// The host's own reports go straight to standard error: once slog's
	// default logger is our handler, the log package's standard logger
	// writes to the plugins, which must not hear about themselves.
	errorLog := log.New(stderr, progName+": ", 0)
	settings, err := readSettings(*config)
	if err != nil {
		errorLog.Print(err)
		return 1
	}
	h, err := host.Open(host.Options{Dir: dir, Settings: settings, ErrorLog: errorLog})
	if err != nil {
		errorLog.Printf("%v (set -plugins or $LOGPLUG_PLUGINS to the folder that holds your .so files)", err)
		return 1
	}
	if h.Loaded() == 0 {
		errorLog.Printf("no plugin loaded from %s", dir)
		return 1
	}

	slog.SetDefault(slog.New(host.NewHandler(h, &host.HandlerOptions{Level: level})))
	logSome()

	// Close delivers, flushes and closes every plugin.
	status := 0
	if err := h.Close(); err != nil {
		errorLog.Print(err)
		status = 1
	}
	for _, p := range h.Plugins() {
		c := p.Counts
		errorLog.Printf("%s: %d received, %d delivered, %d lost", p.Name, c.Received, c.Delivered, c.Lost())
	}
	return status
}

// logSome logs what a small service might.
func logSome() {
	ctx := context.Background()
	slog.Info("slogdemo started", "version", host.Version)
	slog.Log(ctx, levelTrace, "reading configuration", "entries", 3)
	slog.Debug("cache warm", "entries", 1024)

	reqLog := slog.With("component", "http").WithGroup("req")
	reqLog.Info("request served", "method", "GET", "path", "/search", "status", 200, "took", 1500*time.Microsecond)
	reqLog.Warn("slow request", "method", "POST", "path", "/upload", "took", 2*time.Second)
	slog.Error("request failed", "err", errors.New("database unreachable"),
		slog.Group("db", "host", "10.0.0.5", "attempt", 3))

	log.Print("a line from the log package")
}

// readSettings reads the plugins' settings from a JSON file, or returns
// none when path is empty.
func readSettings(path string) (map[string]map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var settings map[string]map[string]string
	if err := json.Unmarshal(data, &settings); err != nil {
		return nil, fmt.Errorf(`config %s: %v; want an object of settings by plugin name, such as {"file": {"path": "app.log"}}`, path, err)
	}
	return settings, nil
}
