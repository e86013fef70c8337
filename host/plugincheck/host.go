package plugincheck

import (
	"errors"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
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
	// its fingerprint (hexadecimal); nil when they could not be read, in
	// which case the comparisons that need them are left out.
	Packages map[string]string
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
		h := &Host{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, Build: info}
		if exe, err := os.Executable(); err == nil {
			if os.Getenv("X_NOHOST") == "" {
				h.Packages = executablePackages(exe)
			}
		}
		self.host = h
	})
	return self.host, self.err
}

// Check inspects each file and compares it with the host, then names the
// files built from the same main package path, of which Go would load only
// the first. Only files that pass every other check are compared that way:
// a file that won't be opened anyway can't collide. Results are in the
// order of paths. No file is opened as a plugin.
func (h *Host) Check(paths []string) []Result {
	results := make([]Result, len(paths))
	byPluginPath := map[string][]int{}
	for i, path := range paths {
		f, findings := Inspect(path)
		if len(findings) == 0 {
			findings = h.Compare(f)
		}
		results[i] = Result{File: f, Findings: findings}
		if f.PluginPath != "" && len(findings) == 0 {
			byPluginPath[f.PluginPath] = append(byPluginPath[f.PluginPath], i)
		}
	}
	for i := range results {
		pp := results[i].File.PluginPath
		same := byPluginPath[pp]
		if len(same) < 2 || !slices.Contains(same, i) {
			continue
		}
		var others []string
		for _, j := range same {
			if j != i {
				others = append(others, paths[j])
			}
		}
		results[i].Findings = append(results[i].Findings, Collision(paths[i], pp, others...))
	}
	return results
}

// A Result is what [Host.Check] found for one file.
type Result struct {
	// File is what the file carries; never nil, but only partly filled in
	// for a file that could not be read.
	File *File
	// Findings are the reasons the file won't load; none for a file that
	// passes.
	Findings []Finding
}

// OK reports whether the file passed every check.
func (r Result) OK() bool { return len(r.Findings) == 0 }
