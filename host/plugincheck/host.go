package plugincheck

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
)

// Host describes the program that loads plugins: what each plugin must
// match.
type Host struct {
	// GOOS and GOARCH are the platform the host runs on.
	GOOS, GOARCH string
	// Build is the host's build information.
	Build *debug.BuildInfo
	// Packages maps the import path of every package the host links to
	// its fingerprint (hexadecimal). When it is nil, [Self]'s host looks
	// fingerprints up in the running program; any other host without
	// them skips the comparisons that need them.
	Packages map[string]string

	lookup func(pkg string) (string, bool) // see selfLookup
}

// fingerprint returns the host's fingerprint of a package, whether the
// host links it, and whether the host's fingerprints are known at all.
func (h *Host) fingerprint(pkg string) (fp string, ok, known bool) {
	switch {
	case h.Packages != nil:
		fp, ok = h.Packages[pkg]
		return fp, ok, true
	case h.lookup != nil:
		fp, ok = h.lookup(pkg)
		return fp, ok, true
	}
	return "", false, false
}

var self struct {
	once sync.Once
	host *Host
	err  error
}

// Self returns the running program as a [Host]: its build information and
// the package fingerprints in its executable file. It reads them once per
// process.
func Self() (*Host, error) {
	self.once.Do(func() {
		info, ok := debug.ReadBuildInfo()
		if !ok {
			self.err = errors.New("the host program carries no build information, so plugins can't be checked against it; build it with module support")
			return
		}
		h := &Host{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, Build: info, lookup: selfLookup()}
		if h.lookup == nil {
			if exe, err := os.Executable(); err == nil {
				h.Packages = executablePackages(exe)
			}
		}
		self.host = h
	})
	return self.host, self.err
}

// Check inspects each file and compares it with the host and with the
// others, as if they were to be opened in the order given (see [Set.Check]);
// no file is opened. Results are in the order of paths.
func (h *Host) Check(paths []string) []Result {
	results := make([]Result, len(paths))
	var files []*File
	var at []int
	// One file after the other: reading a file takes a fraction of a
	// millisecond, and on the 2-core machine logplug is measured on, the
	// host started faster reading the files one by one, all before it
	// opened any, than reading them in parallel, or while it opened the
	// files before them; either way the readers took CPU from each other
	// and from plugin.Open.
	for i, path := range paths {
		f, findings := Inspect(path)
		results[i] = Result{File: f, Findings: findings}
		if len(findings) == 0 {
			files, at = append(files, f), append(at, i)
		}
	}
	for k, r := range h.NewSet().Check(files) {
		results[at[k]] = r
	}
	return results
}

// A definition is the fingerprint of a package as the first plugin that
// links it, and not the host, defines it.
type definition struct {
	fingerprint string
	file        *File
}

// comparePlugins compares the packages of f that the host does not link
// with those the plugins before it define, and adds f's to defined when it
// passes.
func (h *Host) comparePlugins(f *File, defined map[string]definition) []Finding {
	var own []string // packages f would define
	var out []Finding
	pkgs := make([]string, 0, len(f.Packages))
	for p := range f.Packages {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		if p == f.PluginPath {
			continue // two plugins with one main package path collide; see collisions
		}
		if _, ok, known := h.fingerprint(p); ok || !known {
			continue // compared with the host's already, or can't tell
		}
		fp := f.Packages[p]
		d, ok := defined[p]
		switch {
		case !ok:
			own = append(own, p)
		case d.fingerprint != fp:
			have, want := moduleOf(f, p), moduleOf(d.file, p)
			fd := Finding{File: f.Path, Have: p + " " + fp, Want: p + " " + d.fingerprint,
				Problem: fmt.Sprintf("links a different version of package %s than %s, which loads before it", p, d.file.Path),
				Fix:     "build both plugins with the same version of every module they share"}
			if have != nil && want != nil {
				fd.Problem += fmt.Sprintf(" (%s %s here, %s there)", have.Path, describeModule(have), describeModule(want))
				fd.Fix = fmt.Sprintf("require %s %s in both", want.Path, describeModule(want))
				if isLocal(have) || isLocal(want) {
					fd.Fix = fmt.Sprintf("build both with the same copy of %s", want.Path)
				}
			}
			out = append(out, fd)
		}
	}
	if len(out) == 0 {
		for _, p := range own {
			defined[p] = definition{f.Packages[p], f}
		}
	}
	return out
}

// moduleOf returns the module of f that provides package pkg, or nil.
func moduleOf(f *File, pkg string) *debug.Module {
	if f.Build == nil {
		return nil
	}
	var best *debug.Module
	for _, m := range modules(f.Build) {
		if (pkg == m.Path || strings.HasPrefix(pkg, m.Path+"/")) && (best == nil || len(m.Path) > len(best.Path)) {
			best = m
		}
	}
	return best
}

// memo returns a copy of h that remembers the fingerprints it looks up, for
// the span of one Check: no plugin is opened meanwhile, so what the running
// program defines does not change.
func (h *Host) memo() *Host {
	if h.lookup == nil {
		return h
	}
	type answer struct {
		fp string
		ok bool
	}
	seen := map[string]answer{}
	hc := *h
	hc.lookup = func(pkg string) (string, bool) {
		a, done := seen[pkg]
		if !done {
			a.fp, a.ok = h.lookup(pkg)
			seen[pkg] = a
		}
		return a.fp, a.ok
	}
	return &hc
}

// A Result is what [Host.Check] found for one file.
type Result struct {
	// File is what the file carries; never nil, but only partly filled in
	// for a file that could not be read.
	File *File
	// Findings are the reasons the file won't load; none for a file that
	// passes.
	Findings []Finding
	// CopyOf names the file this one is a byte-identical copy of (same
	// plugin path, same SHA-256): one that passed before it, which is
	// loaded in its place. A copy has no findings, and is not opened: the
	// Go runtime holds one plugin per plugin path.
	CopyOf string
}

// OK reports whether the file passed every check and is to be opened: it
// has no findings and is not a copy of another file.
func (r Result) OK() bool { return len(r.Findings) == 0 && r.CopyOf == "" }
