package plugincheck

import (
	"fmt"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/logplug/logplug/api"
)

// SettingKeys are the build settings, as recorded in build information,
// that a plugin must share with its host. They are the settings that
// change the code of the packages both link (GOAMD64 and the like change
// the instructions, not the package fingerprints, but a plugin built for a
// higher level than the host may not run where the host does). Linker-only
// settings such as -ldflags are not among them. GOOS and GOARCH are
// compared as the platform, -buildmode on its own.
var SettingKeys = []string{
	"GOOS", "GOARCH",
	"GOAMD64", "GOARM", "GOARM64", "GO386", "GOMIPS", "GOMIPS64", "GOPPC64", "GORISCV64", "GOWASM",
	"GOEXPERIMENT", "GOFIPS140",
	"CGO_ENABLED",
	"-compiler", "-trimpath", "-race", "-msan", "-asan", "-tags", "-gcflags", "-asmflags",
}

// boolFlags are the settings that are flags without a value.
var boolFlags = map[string]bool{"-trimpath": true, "-race": true, "-msan": true, "-asan": true}

// settingOr returns a setting's value, or the value the go command uses
// when the setting is not recorded.
func settingOr(bi *debug.BuildInfo, key string) string {
	v := Setting(bi, key)
	switch {
	case v != "":
		return v
	case boolFlags[key]:
		return "false"
	case key == "-compiler":
		return "gc"
	}
	return ""
}

// Compare says why the file f, as [Inspect] read it, won't load into the
// host h, or won't work once loaded: another platform, not a Go plugin,
// linked with a -pluginpath other than its main package's import path,
// another Go version, other build settings, other versions of modules both
// link, a package whose fingerprint differs from the host's, no
// LoggingPlugin symbol. It returns nil when f passes. It does not know
// about other files; see [Host.Check].
func (h *Host) Compare(f *File) []Finding {
	if out := h.compareKind(f); out != nil {
		return out // none of the checks below apply
	}
	var out []Finding
	if f.PluginPathSet {
		out = append(out, Finding{File: f.Path,
			Problem: fmt.Sprintf("is linked with -pluginpath=%s, not its main package's import path, %s: Go would run its init functions, then look for %s.%s and fail",
				f.PluginPath, f.Build.Path, f.PluginPath, api.Symbol),
			Have: "-pluginpath=" + f.PluginPath, Want: f.Build.Path, Fix: "rebuild it without -ldflags=-pluginpath"})
	}
	if h.Build != nil {
		out = append(out, h.compareBuild(f)...)
	}
	if len(out) == 0 {
		// Nothing above explains it, but the runtime would still refuse
		// a package that differs (a module cache edited by hand, say).
		out = append(out, h.comparePackages(f)...)
	}
	if has, known := hasSymbol(f); known && !has {
		exports := "nothing else"
		if len(f.Exports) > 0 {
			exports = strings.Join(f.Exports, ", ")
		}
		out = append(out, Finding{File: f.Path, Problem: fmt.Sprintf("exports no %s; it exports %s", api.Symbol, exports),
			Have: exports, Want: api.Symbol,
			Fix: "declare a package-level variable `var " + api.Symbol + " = yourLogger{}` in the plugin's main package"})
	}
	return out
}

// compareKind returns the finding that f is not a Go plugin that could
// load into h at all (another platform, a host without cgo, not Go, not a
// plugin), or nil.
func (h *Host) compareKind(f *File) []Finding {
	hostPlatform := h.GOOS + "/" + h.GOARCH
	platform := f.GOOS + "/" + f.GOARCH
	rebuildFor := fmt.Sprintf("rebuild it for %s (GOOS=%s GOARCH=%s, with a C compiler for that platform)", hostPlatform, h.GOOS, h.GOARCH)
	switch {
	case f.GOOS != "" && f.GOOS != h.GOOS:
		return oneFinding(f.Path, fmt.Sprintf("is built for another operating system: %s %s for %s, the host runs on %s", f.Format, f.Type, platform, hostPlatform),
			platform, hostPlatform, rebuildFor)
	case f.GOARCH != h.GOARCH:
		return oneFinding(f.Path, fmt.Sprintf("is built for another architecture: %s %s for %s, the host runs on %s", f.Format, f.Type, platform, hostPlatform),
			platform, hostPlatform, rebuildFor)
	case h.Build != nil && Setting(h.Build, "CGO_ENABLED") == "0":
		return oneFinding(f.Path, "can't be loaded by this host: it was built with CGO_ENABLED=0, and Go plugins need cgo",
			"host CGO_ENABLED=0", "host CGO_ENABLED=1", "rebuild the host with CGO_ENABLED=1 and a C compiler")
	case f.Build == nil:
		return oneFinding(f.Path, fmt.Sprintf("is not a Go plugin: it is %s %s without Go build information", article(f.Type), f.Type),
			f.Type, "a Go plugin", "build the plugin with go build -buildmode=plugin, with "+h.goVersion()+" and the host's settings (logplug version prints them)")
	}
	if mode := Setting(f.Build, "-buildmode"); mode != "plugin" {
		kind := "a Go " + f.Type
		if mode == "exe" || mode == "pie" {
			kind = "a Go program"
		}
		return oneFinding(f.Path, fmt.Sprintf("is %s (built with -buildmode=%s), not a plugin", kind, mode),
			"-buildmode="+mode, "-buildmode=plugin", "rebuild it with -buildmode=plugin")
	}
	return nil
}

// goVersion names the host's Go version.
func (h *Host) goVersion() string {
	if h.Build != nil {
		return h.Build.GoVersion
	}
	return "the host's Go version"
}

// comparePackages returns the finding that f links a package whose
// fingerprint differs from the host's, or nil.
func (h *Host) comparePackages(f *File) []Finding {
	diff, _ := h.differingPackages(f, func(string) bool { return true })
	if len(diff) == 0 {
		return nil
	}
	more := ""
	if len(diff) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(diff)-1)
	}
	p := diff[0]
	hp, _, _ := h.fingerprint(p)
	return oneFinding(f.Path, fmt.Sprintf("links a different version of package %s than the host%s", p, more),
		p+" "+f.Packages[p], p+" "+hp,
		"rebuild it with "+h.goVersion()+", the host's settings (logplug version prints them) and the host's version of every module both use")
}

// compareBuild compares the Go version, the build settings and the modules
// of a Go plugin with the host's.
func (h *Host) compareBuild(f *File) []Finding {
	var out []Finding
	if have, want := f.Build.GoVersion, h.Build.GoVersion; have != want {
		out = append(out, Finding{File: f.Path, Problem: fmt.Sprintf("is built with %s, the host with %s", have, want),
			Have: have, Want: want, Fix: "rebuild it with " + want})
	}
	for _, key := range SettingKeys {
		if key == "GOOS" || key == "GOARCH" {
			continue
		}
		if have, want := settingOr(f.Build, key), settingOr(h.Build, key); have != want {
			out = append(out, settingFinding(f.Path, key, have, want))
		}
	}
	return append(out, h.compareModules(f)...)
}

// settingFinding explains one build setting that differs.
func settingFinding(file, key, have, want string) Finding {
	f := Finding{File: file, Have: key + "=" + have, Want: key + "=" + want}
	switch {
	case boolFlags[key]:
		with := func(v string) string {
			if v == "true" {
				return "with " + key
			}
			return "without " + key
		}
		f.Problem = fmt.Sprintf("is built %s, the host %s", with(have), with(want))
		f.Fix = "rebuild it " + with(want)
	case strings.HasPrefix(key, "-"):
		with := func(v string) string {
			if v == "" {
				return "without " + key
			}
			return "with " + key + "=" + quote(v)
		}
		f.Problem = fmt.Sprintf("is built %s, the host %s", with(have), with(want))
		f.Fix = "rebuild it " + with(want)
	default:
		with := func(v string) string {
			if v == "" {
				return "with " + key + " unset"
			}
			return "with " + key + "=" + quote(v)
		}
		f.Problem = fmt.Sprintf("is built %s, the host %s", with(have), with(want))
		f.Fix = "rebuild it " + with(want)
	}
	return f
}

// quote quotes a setting value for a shell when it needs it.
func quote(v string) string {
	if !strings.ContainsAny(v, " \t\n'\"\\$`|&;<>()*?[]#~") {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// modules returns the main module and the dependencies of bi, by path.
func modules(bi *debug.BuildInfo) map[string]*debug.Module {
	m := map[string]*debug.Module{}
	if bi.Main.Path != "" {
		m[bi.Main.Path] = &bi.Main
	}
	for _, d := range bi.Deps {
		m[d.Path] = d
	}
	return m
}

// describeModule formats a module's version and replacement as the go
// command prints them: "v1.2.3", "v0.0.0 => ../api", "(devel)".
func describeModule(m *debug.Module) string {
	s := m.Version
	if r := m.Replace; r != nil {
		s += " => " + r.Path
		if r.Version != "" && r.Version != "(devel)" {
			s += " " + r.Version
		}
	}
	return s
}

// moduleSum returns the checksum of the module's code: the replacement's
// when it is replaced.
func moduleSum(m *debug.Module) string {
	if m.Replace != nil {
		return m.Replace.Sum
	}
	return m.Sum
}

// isLocal reports whether a module was built from a folder rather than a
// published version, and so has no version or checksum to compare: the
// main module, a workspace module, or one replaced by a folder.
func isLocal(m *debug.Module) bool {
	if r := m.Replace; r != nil {
		return r.Version == "" || r.Version == "(devel)"
	}
	return m.Version == "" || m.Version == "(devel)"
}

// compareModules explains each module both h and f link in another
// version. Published versions are compared by version and checksum. A
// module built from a local folder has neither, so its packages'
// fingerprints decide: it is reported only when a package of it that both
// link differs (or when the fingerprints can't be read).
func (h *Host) compareModules(f *File) []Finding {
	hostMods, plugMods := modules(h.Build), modules(f.Build)
	paths := make([]string, 0, len(plugMods))
	for p := range plugMods {
		if _, ok := hostMods[p]; ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var out []Finding
	for _, path := range paths {
		pm, hm := plugMods[path], hostMods[path]
		have, want := describeModule(pm), describeModule(hm)
		haveSum, wantSum := moduleSum(pm), moduleSum(hm)
		if have == want && (haveSum == "" || wantSum == "" || haveSum == wantSum) && !isLocal(pm) {
			continue
		}
		fd := Finding{File: f.Path, Have: path + " " + have, Want: path + " " + want}
		switch {
		case isLocal(pm) || isLocal(hm):
			inModule := func(pkg string) bool { return pkg == path || strings.HasPrefix(pkg, path+"/") }
			diff, known := h.differingPackages(f, inModule)
			if known && len(diff) == 0 {
				continue // the same code: it loads
			}
			hostHas := want
			if hm.Version == "(devel)" && hm.Replace == nil {
				hostHas = "a local copy (devel)"
			}
			fd.Problem = fmt.Sprintf("links %s %s, the host %s", path, have, hostHas)
			if len(diff) > 0 {
				fd.Problem += "; package " + diff[0] + " differs"
			}
			if isLocal(hm) {
				fd.Fix = fmt.Sprintf("link the host's copy of %s: build it in the host's go.work workspace, or replace %s with the folder the host was built from", path, path)
			} else {
				fd.Fix = fmt.Sprintf("require %s %s, without a replace", path, hm.Version)
			}
		case pm.Version != hm.Version || have != want:
			fd.Problem = fmt.Sprintf("links %s %s, the host %s", path, have, want)
			fd.Fix = fmt.Sprintf("require %s %s", path, hm.Version)
			if r := hm.Replace; r != nil {
				fd.Fix += fmt.Sprintf(" and replace it as the host does (%s => %s %s)", path, r.Path, r.Version)
			}
		default:
			fd.Problem = fmt.Sprintf("links %s %s with checksum %s, the host with checksum %s", path, have, haveSum, wantSum)
			fd.Have, fd.Want = path+" "+have+" "+haveSum, path+" "+want+" "+wantSum
			fd.Fix = fmt.Sprintf("require %s %s as published (drop any replace of it, and check your GOPROXY and module cache)", path, hm.Version)
		}
		out = append(out, fd)
	}
	return out
}

// differingPackages returns, sorted, the packages that both h and f link,
// that match the filter, and whose fingerprints differ. known is false when
// either side's fingerprints could not be read.
func (h *Host) differingPackages(f *File, match func(string) bool) (diff []string, known bool) {
	if f.Packages == nil {
		return nil, false
	}
	for p, fp := range f.Packages {
		if !match(p) {
			continue
		}
		hp, ok, known := h.fingerprint(p)
		if !known {
			return nil, false
		}
		if ok && hp != fp {
			diff = append(diff, p)
		}
	}
	sort.Strings(diff)
	return diff, true
}

// Collision is the finding for a file built from the same main package
// path as other files: the Go runtime opens only one plugin per path and
// refuses the others ("plugin already loaded").
func Collision(file, pluginPath string, others ...string) Finding {
	return Finding{
		File:    file,
		Problem: fmt.Sprintf("is built from the same main package path, %s, as %s; Go loads only one plugin per path", pluginPath, strings.Join(others, " and ")),
		Have:    pluginPath,
		Want:    "a main package path no other plugin has",
		Fix:     "rename the module of one of them (the module line of its go.mod) and rebuild it",
	}
}

// article returns "a" or "an" for a noun.
func article(noun string) string {
	if noun != "" && strings.ContainsRune("aeiouAEIOU", rune(noun[0])) {
		return "an"
	}
	return "a"
}
