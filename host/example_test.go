package host_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/logplug/logplug/host"
)

// console is a logger linked into the example program: it prints each
// message on one line with its labels sorted. A plugin file would export
// such a value as LoggingPlugin.
type console struct{ name string }

func (c console) print(level, msg string, labels map[string]string) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %q", c.name, level, msg)
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		fmt.Fprintf(&b, " %s=%s", k, labels[k])
	}
	fmt.Println(b.String())
}

func (c console) Describe() (string, string)                 { return c.name, "v1.0.0" }
func (c console) Log(msg string, labels map[string]string)   { c.print("log", msg, labels) }
func (c console) Debug(msg string, labels map[string]string) { c.print("debug", msg, labels) }
func (c console) Info(msg string, labels map[string]string)  { c.print("info", msg, labels) }
func (c console) Warn(msg string, labels map[string]string)  { c.print("warn", msg, labels) }
func (c console) Error(msg string, labels map[string]string) { c.print("error", msg, labels) }

// Every message reaches every plugin, in order. Here the plugins are
// loggers linked into the program; Open loads them from files instead.
// Synchronous delivery keeps the two plugins' output interleaved in a fixed
// order; by default each plugin takes its messages from a queue of its own,
// in its own goroutine.
func Example() {
	h := host.New(host.Options{Synchronous: true},
		&host.Plugin{Name: "one", Logger: console{"one"}},
		&host.Plugin{Name: "two", Logger: console{"two"}},
	)
	defer h.Close()

	h.Info("service started", map[string]string{"port": "8080"})
	h.Warn("disk almost full", map[string]string{"free": "2%"})
	// Output:
	// one info "service started" port=8080
	// two info "service started" port=8080
	// one warn "disk almost full" free=2%
	// two warn "disk almost full" free=2%
}

// A program opens the plugins in a folder, with settings for those that
// take some, and closes the Host before it exits so that every plugin
// flushes and closes.
func ExampleOpen() {
	h, err := host.Open(host.Options{
		Dir: "plugins",
		Settings: map[string]map[string]string{
			"file": {"path": "/var/log/app.log", "format": "json"},
		},
		ErrorLog: log.New(os.Stderr, "plugins: ", 0), // one line per plugin that fails
	})
	if err != nil {
		log.Fatal(err) // the folder could not be read
	}
	defer func() {
		if err := h.Close(); err != nil {
			log.Print(err)
		}
	}()
	if h.Loaded() == 0 {
		log.Fatal("no plugin loaded")
	}
	h.Info("service started", map[string]string{"port": "8080"})
}

// A logger linked into the program is wrapped in a Plugin; the Host treats
// it as it treats one loaded from a file.
func ExampleNew() {
	logger := console{"console"}
	h := host.New(host.Options{}, &host.Plugin{Name: "console", Logger: logger})
	defer h.Close()

	h.Error("payment failed", map[string]string{"order": "A-17", "code": "card_declined"})
	// Output:
	// console error "payment failed" code=card_declined order=A-17
}

// Plugins reports on every plugin file, whether it loaded or not, with its
// message counts.
func ExampleHost_Plugins() {
	h := host.New(host.Options{}, &host.Plugin{Path: "console.so", Name: "console", Version: "v1.0.0", Logger: console{"console"}})
	h.Info("one", nil)
	h.Info("two", nil)
	if err := h.Close(); err != nil {
		fmt.Println(err)
	}
	for _, p := range h.Plugins() {
		fmt.Printf("%s %s loaded=%v received=%d delivered=%d lost=%d\n",
			p.Name, p.Version, p.Loaded(), p.Counts.Received, p.Counts.Delivered, p.Counts.Lost())
	}
	// Output:
	// console info "one"
	// console info "two"
	// console v1.0.0 loaded=true received=2 delivered=2 lost=0
}

// A program that logs with log/slog sends its records to the plugins by
// installing a Handler:
//
//	slog.SetDefault(slog.New(host.NewHandler(h, nil)))
//
// Attributes become labels, and groups dotted keys. (This example drops the
// time label, so that its output is the same on every run.)
func ExampleNewHandler() {
	h := host.New(host.Options{}, &host.Plugin{Name: "console", Logger: console{"console"}})
	defer h.Close()

	logger := slog.New(host.NewHandler(h, &host.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && groups == nil {
				return slog.Attr{}
			}
			return a
		},
	}))
	logger.Debug("cache warm", "entries", 1024)
	logger.Info("request served",
		slog.Group("req", "method", "GET", "path", "/search"),
		"status", 200,
		"took", 1500*time.Microsecond)
	logger.Error("request failed", "err", os.ErrPermission)
	// Output:
	// console debug "cache warm" entries=1024
	// console info "request served" req.method=GET req.path=/search status=200 took=1.5ms
	// console error "request failed" err=permission denied
}

// WithGroup and With put the attributes of a part of the program under a
// common prefix.
func ExampleHandler_WithGroup() {
	h := host.New(host.Options{}, &host.Plugin{Name: "console", Logger: console{"console"}})
	defer h.Close()

	noTime := func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && groups == nil {
			return slog.Attr{}
		}
		return a
	}
	logger := slog.New(host.NewHandler(h, &host.HandlerOptions{ReplaceAttr: noTime}))
	db := logger.With("component", "db").WithGroup("db").With("pool", 4)
	db.Warn("slow query", "ms", 412, slog.Group("query", "table", "users"))
	// Output:
	// console warn "slow query" component=db db.ms=412 db.pool=4 db.query.table=users
}

// The time label is the record's time in RFC 3339 with nanoseconds; a
// record with a zero time has none.
func ExampleHandler_Handle() {
	h := host.New(host.Options{}, &host.Plugin{Name: "console", Logger: console{"console"}})
	defer h.Close()

	handler := host.NewHandler(h, nil)
	when := time.Date(2025, 3, 4, 5, 6, 7, 890123456, time.UTC)
	r := slog.NewRecord(when, slog.LevelInfo, "tick", 0)
	r.AddAttrs(slog.Int("n", 1))
	_ = handler.Handle(context.Background(), r)
	// Output:
	// console info "tick" n=1 time=2025-03-04T05:06:07.890123456Z
}

// Each slog level goes to the plugin method for the range it falls in;
// levels below Debug, which no method names, go to Log.
func ExampleSlogLevel() {
	for _, l := range []slog.Level{slog.LevelDebug - 4, slog.LevelDebug, slog.LevelInfo, slog.LevelInfo + 2, slog.LevelWarn, slog.LevelError, slog.LevelError + 4} {
		fmt.Printf("%-8s -> %s\n", l, host.SlogLevel(l))
	}
	// Output:
	// DEBUG-4  -> log
	// DEBUG    -> debug
	// INFO     -> info
	// INFO+2   -> info
	// WARN     -> warn
	// ERROR    -> error
	// ERROR+4  -> error
}
