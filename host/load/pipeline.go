package load

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/logplug/logplug/host/plugincheck"
	"github.com/logplug/logplug/host/trust"
)

// A Loader takes plugin files through the pipeline with one set of
// [Options], into one [Registry]. Its methods are safe for concurrent use;
// files are taken through one batch at a time.
type Loader struct {
	opts    Options
	base    string // the absolute folder pin names are relative to
	checker *trust.Checker
	reg     *Registry
}

// New returns a Loader that opens plugins into this process: its registry
// is [Process].
func New(opts Options) *Loader { return NewIn(Process(), opts) }

// NewIn returns a Loader whose checks and opens are recorded in reg.
func NewIn(reg *Registry, opts Options) *Loader {
	base, err := filepath.Abs(opts.Dir) // "" is the current folder
	if err != nil {
		base = opts.Dir
	}
	return &Loader{opts: opts, base: base, checker: trust.NewChecker(os.Geteuid()), reg: reg}
}

// A Candidate is one plugin file on its way through the pipeline.
type Candidate struct {
	// Path is the file, as it was named.
	Path string
	// File is what inspecting the file (or its private copy) found; nil
	// when the trust step refused it, or when it was opened earlier in
	// this process.
	File *plugincheck.File
	// Err says why the file is refused, or why opening it failed; it is
	// an *[Error]. Nil for a file that passed every step so far.
	Err error
	// CopyOf is set when the file is a byte-identical copy of another
	// plugin, named here, that passed before it in the batch or was
	// accepted earlier: it is not opened, since the Go runtime holds one
	// plugin per plugin path. It is not an error.
	CopyOf string
	// Plugin is the opened plugin, once [Loader.Load] opened it, or the
	// one opened from the same file earlier in this process.
	Plugin *Plugin

	open string      // the bytes to inspect and open: the real path, or the private copy
	copy *trust.Copy // the private copy, if any
	prev *result     // what came of opening the same file earlier in this process
}

// Passed reports whether the file passed every check and is to be opened
// (or was opened).
func (c *Candidate) Passed() bool { return c.Err == nil && c.CopyOf == "" }

// CopyMessage is the one line that says what happened to a copy.
func (c *Candidate) CopyMessage() string { return plugincheck.CopyMessage(c.Path, c.CopyOf) }

// Close removes the file's private copy, if the trust step made one. A
// plugin opened from it stays mapped.
func (c *Candidate) Close() error {
	if c.copy == nil {
		return nil
	}
	err := c.copy.Remove()
	c.copy = nil
	return err
}

// Check takes each file through every step before opening it: trust,
// private copy, inspection, and conflicts with the files before it in
// paths and with every plugin the registry holds. It runs none of the
// files' code. The candidates are in the order of paths; call Close on
// each when done.
func (l *Loader) Check(paths []string) []*Candidate {
	l.reg.mu.Lock()
	defer l.reg.mu.Unlock()
	return l.check(paths)
}

// Load takes each file through the pipeline, opens those that passed, one
// after the other, and looks up their LoggingPlugin. A file is opened at
// most once per registry: a file opened before gets the same *Plugin, or
// the same error, as the first time (the Go runtime keeps every plugin it
// opened, and opening a file again after a failed open can block forever).
//
// A panic in a plugin's init functions is recovered and returned as an
// error. Go then marks the package whose init panicked as being
// initialised, for good: opening another plugin that links that package
// would abort the whole process ("fatal error: recursive call during
// initialization - linker skew"), which nothing can recover. So every
// later plugin that links the package is refused without being opened.
// The package is read from the panic's stack; when it can't be, every
// package of the failed plugin that the host does not link counts.
func (l *Loader) Load(paths []string) []*Candidate {
	l.reg.mu.Lock()
	defer l.reg.mu.Unlock()
	cands := l.check(paths)
	for _, c := range cands {
		if c.prev != nil {
			c.Plugin, c.Err = c.prev.p, c.prev.err
		} else if c.Passed() {
			c.Plugin, c.Err = l.reg.open(c)
		}
		c.Close()
	}
	return cands
}

// check does the work of Check, with the registry locked.
func (l *Loader) check(paths []string) []*Candidate {
	cands := make([]*Candidate, len(paths))
	var inspected []*Candidate
	for i, path := range paths {
		c := &Candidate{Path: path}
		cands[i] = c
		if c.open, c.copy, c.Err = l.trust(path); c.Err != nil {
			continue
		}
		if prev, ok := l.reg.byPath[realPath(path)]; ok {
			c.prev = &prev
			c.Close()
			continue
		}
		f, findings := plugincheck.InspectAs(path, c.open)
		c.File = f
		if len(findings) > 0 {
			c.Err = findingsError(path, findings)
			continue
		}
		inspected = append(inspected, c)
	}
	files := make([]*plugincheck.File, len(inspected))
	for i, c := range inspected {
		files[i] = c.File
	}
	for i, r := range l.reg.accepted().Check(files) {
		c := inspected[i]
		switch {
		case r.CopyOf != "":
			c.CopyOf = r.CopyOf
		case !r.OK():
			c.Err = findingsError(c.Path, r.Findings)
		}
	}
	return cands
}

// Load takes the file at path through the pipeline with opts, into this
// process, and returns the plugin or an *[Error].
func Load(path string, opts Options) (*Plugin, error) {
	c := New(opts).Load([]string{path})[0]
	if c.CopyOf != "" {
		return nil, &Error{Path: path, Err: errors.New(strings.TrimPrefix(c.CopyMessage(), path+": "))}
	}
	return c.Plugin, c.Err
}
