package plugincheck

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// A Set is the plugins accepted so far, in the order they were (or are to
// be) opened into one process: what each new plugin must not conflict
// with. The load pipeline keeps one Set per process; [Host.Check] makes
// one per call.
type Set struct {
	host    *Host
	defined map[string]definition // packages the host does not link, as the first member defines them
	modules map[string]*File      // modules the host does not link, by path: the first member that links each
	members map[string]*File      // by plugin path
}

// NewSet returns an empty set of plugins for h.
func (h *Host) NewSet() *Set {
	return &Set{host: h, defined: map[string]definition{}, modules: map[string]*File{}, members: map[string]*File{}}
}

// Check compares each file, which [Inspect] read without findings, with the
// host ([Host.Compare]), with the set's members and with the files before
// it, and adds those that pass to the set, so that a later Check compares
// with them too. Beyond Compare:
//
//   - A package that the host does not link but two plugins do must be
//     the same in both: the first plugin opened defines it for the whole
//     process, and the Go runtime refuses the second if its copy differs.
//   - A module that the host does not link but two plugins do must be
//     linked in the same form by both (version, replacement, checksum):
//     the package fingerprints the runtime compares do not cover a
//     variable's initial value, so a local copy of a module would
//     otherwise pass, and whichever plugin opens first would decide its
//     variables for both.
//   - Two files with the same plugin path can't both load: files in one
//     batch with different bytes are all named, and none passes; a file
//     with the plugin path of a member is named with the member. A file
//     byte-identical to another (same SHA-256) is not a conflict: it gets
//     [Result.CopyOf], and only the other one passes.
//
// Results are in the order of files.
func (s *Set) Check(files []*File) []Result {
	h := s.host.memo()
	results := make([]Result, len(files))
	for i, f := range files {
		findings := h.Compare(f)
		if len(findings) == 0 {
			findings = s.compareMember(f, &results[i])
		}
		if len(findings) == 0 && results[i].CopyOf == "" {
			findings = h.comparePlugins(f, s.defined)
			findings = append(findings, h.compareModuleForms(f, s.modules, reported(f, findings))...)
		}
		results[i].File, results[i].Findings = f, findings
	}
	samePath(results)
	for _, r := range results {
		if r.OK() && r.File.PluginPath != "" {
			s.members[r.File.PluginPath] = r.File
		}
	}
	return results
}

// compareMember compares f with the member that has its plugin path, if
// any: f is a copy of it, or collides with it.
func (s *Set) compareMember(f *File, r *Result) []Finding {
	m, ok := s.members[f.PluginPath]
	if !ok || f.PluginPath == "" {
		return nil
	}
	if same, err := sameBytes(f, m); err == nil && same {
		r.CopyOf = m.Path
		return nil
	}
	return []Finding{Collision(f.Path, f.PluginPath, m.Path+" (loaded already)")}
}

// samePath finds, among the results that passed so far, those that share
// a plugin path: copies of the first of them, when all have the same
// bytes, or else collisions, every one named with the others.
func samePath(results []Result) {
	byPluginPath := map[string][]int{}
	var order []string
	for i, r := range results {
		if pp := r.File.PluginPath; pp != "" && r.OK() {
			if byPluginPath[pp] == nil {
				order = append(order, pp)
			}
			byPluginPath[pp] = append(byPluginPath[pp], i)
		}
	}
	for _, pp := range order {
		same := byPluginPath[pp]
		if len(same) < 2 {
			continue
		}
		first := results[same[0]].File
		copies := true
		for _, i := range same[1:] {
			if ok, err := sameBytes(results[i].File, first); err != nil || !ok {
				copies = false
				break
			}
		}
		for _, i := range same[1:] {
			if copies {
				results[i].CopyOf = first.Path
			}
		}
		if copies {
			continue
		}
		for _, i := range same {
			var others []string
			for _, j := range same {
				if j != i {
					others = append(others, results[j].File.Path)
				}
			}
			results[i].Findings = append(results[i].Findings, Collision(results[i].File.Path, results[i].File.PluginPath, others...))
		}
	}
}

// CopyMessage is the line that reports file, a byte-identical copy of of,
// which is loaded in its place.
func CopyMessage(file, of string) string {
	return fmt.Sprintf("%s: a copy of %s (same SHA-256): loaded once, as %s", file, of, of)
}

// sameBytes reports whether two files hold the same bytes, by size and
// then SHA-256; only files with one plugin path are compared, which is
// rare, so nothing is hashed otherwise.
func sameBytes(a, b *File) (bool, error) {
	if a.Size != b.Size {
		return false, nil
	}
	da, err := digest(a)
	if err != nil {
		return false, err
	}
	db, err := digest(b)
	if err != nil {
		return false, err
	}
	return da == db, nil
}

// digest returns the SHA-256 of f's bytes, once.
func digest(f *File) ([sha256.Size]byte, error) {
	if f.digest != nil {
		return *f.digest, nil
	}
	src := f.source
	if src == "" {
		src = f.Path
	}
	r, err := os.Open(src)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return [sha256.Size]byte{}, err
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	f.digest = &d
	return d, nil
}

// reported returns the modules of f that findings about its packages name.
func reported(f *File, findings []Finding) map[string]bool {
	mods := map[string]bool{}
	for _, fd := range findings {
		pkg, _, _ := strings.Cut(fd.Have, " ")
		if m := moduleOf(f, pkg); m != nil {
			mods[m.Path] = true
		}
	}
	return mods
}

// compareModuleForms compares each module that f links and the host does
// not with the form (version, replacement, checksum) in which the first
// plugin that links it links it, and records f's when it passes. Modules
// in skip were reported already.
func (h *Host) compareModuleForms(f *File, first map[string]*File, skip map[string]bool) []Finding {
	if f.Build == nil {
		return nil
	}
	hostMods := modules(h.Build)
	mods := modules(f.Build)
	paths := make([]string, 0, len(mods))
	for p := range mods {
		if _, ok := hostMods[p]; !ok && p != f.Build.Main.Path {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var out []Finding
	var own []string
	for _, p := range paths {
		other, ok := first[p]
		if !ok {
			own = append(own, p)
			continue
		}
		if skip[p] {
			continue
		}
		have, want := mods[p], modules(other.Build)[p]
		if describeModule(have) == describeModule(want) && moduleSum(have) == moduleSum(want) {
			continue
		}
		haveForm, wantForm := p+" "+describeModule(have), p+" "+describeModule(want)
		if haveForm == wantForm { // the same version with another checksum
			haveForm, wantForm = haveForm+" "+moduleSum(have), wantForm+" "+moduleSum(want)
		}
		out = append(out, Finding{File: f.Path, Have: haveForm, Want: wantForm,
			Problem: fmt.Sprintf("links %s, and %s, which loads before it, links %s; whichever opens first would decide that module's code and variables for both", haveForm, other.Path, wantForm),
			Fix:     fmt.Sprintf("build both against the same %s (the same version, without a replace, or the same local copy)", p)})
	}
	if len(out) == 0 {
		for _, p := range own {
			first[p] = f
		}
	}
	return out
}
