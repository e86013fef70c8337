package host

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/logplug/logplug/host/plugincheck"
)

// preflight runs the checks of package plugincheck on paths, against the
// running program, without opening any file. A program without build
// information can't be compared with; its plugins get the checks that need
// none (the file's format, platform and symbol).
func preflight(paths []string) []plugincheck.Result {
	self, err := plugincheck.Self()
	if err != nil {
		self = &plugincheck.Host{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
	}
	return self.Check(paths)
}

// loadLocked loads one file that has not been loaded or refused before in
// this process, with opened locked: it refuses a file that failed the
// checks in r, whose main package path the runtime already holds, or that
// links a package whose init panicked earlier; otherwise it opens file, the
// bytes of path to open (see loadChecked).
func loadLocked(path, file string, r plugincheck.Result) (*Plugin, error) {
	if !r.OK() {
		return nil, findingsError(path, r.Findings)
	}
	f := r.File
	if other, ok := opened.pluginPaths[f.PluginPath]; ok && f.PluginPath != "" {
		return nil, findingsError(path, []plugincheck.Finding{plugincheck.Collision(path, f.PluginPath, other+" (loaded already)")})
	}
	if pkg, culprit := stuckPackage(f); culprit != "" {
		fd := plugincheck.Finding{
			File:    path,
			Problem: fmt.Sprintf("links package %s, whose init panicked when %s was opened; opening it too would abort the process", pkg, culprit),
			Have:    pkg,
			Fix:     fmt.Sprintf("fix the init functions of %s and rebuild the plugins that link it, or remove %s", pkg, filepath.Base(culprit)),
		}
		if pkg == "" {
			fd.Problem = fmt.Sprintf("can't be opened safely: an init function panicked when %s was opened, and this file's packages can't be read to rule out that it links the same package", culprit)
			fd.Have, fd.Fix = "", fmt.Sprintf("fix the init functions of %s, or remove it", filepath.Base(culprit))
		}
		return nil, findingsError(path, []plugincheck.Finding{fd})
	}
	p, initPanic, err := open(path, file)
	if (err == nil || initPanic != "") && f.PluginPath != "" {
		// The runtime now holds the plugin's path, even after a panic.
		opened.pluginPaths[f.PluginPath] = path
	}
	if initPanic != "" {
		markStuck(path, f, initPanic)
	}
	return p, err
}

// findingsError turns the findings about a file into a *LoadError.
func findingsError(path string, fs []plugincheck.Finding) error {
	return &LoadError{Path: path, Err: errors.New(fs[0].Problem), Fix: fs[0].Fix, Findings: fs}
}

// stuckPackage returns a package f links whose init panicked earlier in
// this process, and the file whose opening ran it. When f's packages could
// not be read, pkg is "" and culprit is set if any init panicked.
func stuckPackage(f *plugincheck.File) (pkg, culprit string) {
	pkgs := make([]string, 0, len(opened.stuck))
	for p := range opened.stuck {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		if f.Packages == nil {
			return "", opened.stuck[p]
		}
		if _, ok := f.Packages[p]; ok {
			return p, opened.stuck[p]
		}
	}
	return "", ""
}

// markStuck records the package whose init panicked while path was opened.
// When the stack did not say which package it was, every package of the
// plugin that the host does not link is suspect (the host's own packages
// were initialised before main ran).
func markStuck(path string, f *plugincheck.File, pkg string) {
	if pkg != "?" || f.Packages == nil {
		opened.stuck[pkg] = path
		return
	}
	self, _ := plugincheck.Self()
	for p := range f.Packages {
		if self == nil || self.Packages == nil {
			opened.stuck[p] = path
		} else if _, ok := self.Packages[p]; !ok {
			opened.stuck[p] = path
		}
	}
}

// initPanicPackage returns the import path of the package whose init
// function panicked, from the stack of the panicking goroutine as
// runtime/debug.Stack prints it: the package of the function that
// plugin.open called (through the runtime's doInit and doInit1, which the
// stack shows only with GOTRACEBACK=system). It returns "" when the stack
// has no such frame.
func initPanicPackage(stack []byte) string {
	var prev string // the last function line seen
	sc := bufio.NewScanner(bytes.NewReader(stack))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '\t' || strings.HasPrefix(line, "goroutine ") {
			continue
		}
		if strings.HasPrefix(line, "runtime.doInit1(") || strings.HasPrefix(line, "plugin.open(") {
			return funcPackage(prev)
		}
		prev = line
	}
	return ""
}

// funcPackage returns the import path of the package of a function as a
// stack trace names it, such as "example.com/x/y.init.0()" or
// "gopkg.in/yaml%2ev3.init()": everything before the first dot after the
// last slash, with %xx escapes undone.
func funcPackage(frame string) string {
	name := frame
	if i := strings.LastIndexByte(name, '('); i > 0 && strings.HasSuffix(name, ")") {
		name = name[:i]
	}
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return ""
	}
	return unescape(name[:slash+1+dot])
}

// unescape undoes the linker's %xx escapes in a symbol name.
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// uniquePaths returns paths without repeats of a file, first spelling
// first: the same file named twice would otherwise count as two plugins
// with the same main package path.
func uniquePaths(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		key := realPath(p)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, p)
	}
	return out
}
