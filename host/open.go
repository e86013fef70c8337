package host

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/logplug/logplug/api"
	"github.com/logplug/logplug/host/internal/deliver"
	"github.com/logplug/logplug/host/load"
)

// Open loads the plugins that opts names and returns a Host that delivers to
// those that loaded and accepted their settings. A plugin that fails is
// reported to opts.ErrorLog and in [Host.Plugins]; the others still load.
// Open returns an error only if opts.Dir cannot be read.
//
// Every file goes through the pipeline of package load: the trust checks
// of opts, a private copy when opts pins or signs the plugins, the checks
// of package plugincheck on that copy (against the running program, and
// against every other plugin: two files built from the same plugin path
// are both refused, none of them opened; a byte-identical copy of another
// file is reported and not loaded again), then plugin.Open. A file named
// twice, by Dir and Paths or through a link, is loaded once.
func Open(opts Options) (*Host, error) {
	var paths []string
	if opts.Dir != "" {
		found, err := load.Discover(opts.Dir)
		if err != nil {
			return nil, err
		}
		paths = found
	}
	paths = load.UniquePaths(append(paths, opts.Paths...))

	h := newHost(opts)
	for _, c := range load.New(opts.loadOptions(h.errorLog)).Load(paths) {
		switch {
		case c.CopyOf != "":
			h.errorLog.Print(c.CopyMessage())
			h.statuses = append(h.statuses, Status{Path: c.Path, Name: load.NameFromPath(c.Path), CopyOf: c.CopyOf})
		case c.Err != nil:
			h.add(Status{Path: c.Path, Name: load.NameFromPath(c.Path)}, nil, c.Err)
		default:
			h.addPlugin(c.Plugin, opts.Settings)
		}
	}
	h.start()
	return h, nil
}

// New returns a Host that delivers to plugins that are already loaded, or
// to loggers linked into the program and wrapped in a [Plugin]. It passes
// each its settings, as Open does; opts.Dir and opts.Paths are ignored.
func New(opts Options, plugins ...*Plugin) *Host {
	h := newHost(opts)
	for _, p := range plugins {
		h.addPlugin(p, opts.Settings)
	}
	h.start()
	return h
}

// newHost returns a Host with no plugin yet, and the delivery engine that
// opts ask for.
func newHost(opts Options) *Host {
	h := &Host{errorLog: opts.ErrorLog, d: delivery{policy: opts.Policy, policies: opts.Policies}}
	if h.errorLog == nil {
		h.errorLog = log.New(os.Stderr, "", log.LstdFlags)
	}
	h.e = newEngine(opts, h.errorLog)
	return h
}

// addPlugin configures a loaded plugin and adds it.
func (h *Host) addPlugin(p *Plugin, settings Settings) {
	st := Status{Path: p.Path, Name: p.Name, Version: p.Version, Shape: p.Shape, OpenTime: p.OpenTime}
	if st.Shape == "" { // a logger linked into the program (New)
		st.Shape = load.ShapeMethods
	}
	h.add(st, p, configure(p, settings[p.Name]))
}

// add records a plugin's status and, when err is nil, makes ready to
// deliver to it. A failure is reported to the error log.
func (h *Host) add(st Status, p *Plugin, err error) {
	var le *LoadError
	switch {
	case errors.As(err, &le) && len(le.Findings) > 0:
		st.Err = err
		for _, f := range le.Findings {
			h.errorLog.Print(f) // one line each
		}
	case err != nil:
		st.Err = err
		h.errorLog.Print(err)
	default:
		dp := deliver.Plugin{Path: p.Path, Name: p.Name, Logger: p.Logger, Drop: h.d.policyFor(p.Name) == Drop}
		if l, ok := p.Logger.(leveler); ok {
			h.handlers = append(h.handlers, l)
		} else {
			h.methodsShape = true
		}
		h.sinks = append(h.sinks, sinkAt{Sink: h.e.Add(dp), index: len(h.statuses)})
	}
	h.statuses = append(h.statuses, st)
}

// start starts delivery once every plugin is loaded: with queued delivery,
// no plugin's goroutine then runs while the others load.
func (h *Host) start() { h.e.Start() }

// configure passes a plugin its settings, turning a panic into an error.
func configure(p *Plugin, settings map[string]string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("Configure panicked: %v", v)
		}
		if err != nil {
			err = &LoadError{Path: p.Path, Err: fmt.Errorf("configure %s: %w", p.Name, err)}
		}
	}()
	if err := api.CheckSettingKeys(p.Logger, settings); err != nil {
		return err
	}
	return api.Configure(p.Logger, settings)
}
