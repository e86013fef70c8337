package load

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/logplug/logplug/host/plugincheck"
)

// A Registry remembers what the Go runtime of one process holds: every
// plugin file opened and what came of it, every plugin accepted (whose
// plugin path and packages a later plugin must not conflict with), and
// every package whose init function panicked. The runtime's state lasts as
// long as the process, so programs use the one registry [Process] returns;
// tests that open no file may make their own with [NewRegistry].
type Registry struct {
	mu     sync.Mutex
	self   *plugincheck.Host
	set    *plugincheck.Set
	byPath map[string]result // by real path
	// stuck maps each package whose init function panicked while a plugin
	// was opened to that plugin's file.
	stuck map[string]string
}

// result is what came of opening a file.
type result struct {
	p   *Plugin
	err error
}

var process = NewRegistry(nil)

// Process returns the registry of this process.
func Process() *Registry { return process }

// NewRegistry returns an empty registry whose plugins are checked against
// self. Nil means the running program ([plugincheck.Self]); a program
// without build information can't be compared with, and its plugins get
// the checks that need none (the file's format, platform and symbol).
func NewRegistry(self *plugincheck.Host) *Registry {
	return &Registry{self: self, byPath: map[string]result{}, stuck: map[string]string{}}
}

// accepted returns the set of plugins accepted so far, with r.mu held.
func (r *Registry) accepted() *plugincheck.Set {
	if r.set == nil {
		if r.self == nil {
			self, err := plugincheck.Self()
			if err != nil {
				self = &plugincheck.Host{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
			}
			r.self = self
		}
		r.set = r.self.NewSet()
	}
	return r.set
}

// open opens a candidate that passed every check, with r.mu held, unless
// it links a package whose init panicked earlier, and records the result.
func (r *Registry) open(c *Candidate) (*Plugin, error) {
	if err := r.checkStuck(c); err != nil {
		return nil, err
	}
	p, initPanic, err := openPlugin(c.Path, c.open)
	if initPanic != "" {
		r.markStuck(c.Path, c.File, initPanic)
	}
	if err != nil {
		r.byPath[realPath(c.Path)] = result{nil, err}
		return nil, err
	}
	r.byPath[realPath(c.Path)] = result{p, nil}
	return p, nil
}

// checkStuck refuses a file that links a package whose init panicked
// earlier in this process, naming the file whose opening ran it. When the
// file's packages could not be read, any such panic refuses it.
func (r *Registry) checkStuck(c *Candidate) error {
	pkgs := make([]string, 0, len(r.stuck))
	for p := range r.stuck {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		culprit := r.stuck[pkg]
		if c.File.Packages == nil {
			return findingsError(c.Path, []plugincheck.Finding{{
				File:    c.Path,
				Problem: fmt.Sprintf("can't be opened safely: an init function panicked when %s was opened, and this file's packages can't be read to rule out that it links the same package", culprit),
				Fix:     fmt.Sprintf("fix the init functions of %s, or remove it", filepath.Base(culprit)),
			}})
		}
		if _, ok := c.File.Packages[pkg]; ok {
			return findingsError(c.Path, []plugincheck.Finding{{
				File:    c.Path,
				Problem: fmt.Sprintf("links package %s, whose init panicked when %s was opened; opening it too would abort the process", pkg, culprit),
				Have:    pkg,
				Fix:     fmt.Sprintf("fix the init functions of %s and rebuild the plugins that link it, or remove %s", pkg, filepath.Base(culprit)),
			}})
		}
	}
	return nil
}

// markStuck records the package whose init panicked while path was opened.
// When the stack did not say which package it was ("?"), every package of
// the plugin that the host does not link is suspect (the host's own
// packages were initialised before main ran).
func (r *Registry) markStuck(path string, f *plugincheck.File, pkg string) {
	if pkg != "?" || f.Packages == nil {
		r.stuck[pkg] = path
		return
	}
	for p := range f.Packages {
		if _, linked := r.self.Packages[p]; !linked {
			r.stuck[p] = path
		}
	}
}

// realPath returns path made absolute with its symbolic links resolved, or
// as it is when that fails.
func realPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return abs
}
