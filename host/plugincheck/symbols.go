package plugincheck

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"encoding/hex"
	"os"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/logplug/logplug/api"
)

// fingerprintPrefix starts the name of the symbol that holds a package's
// fingerprint in a Go binary that is or may load a plugin: the linker
// defines go:link.pkghashbytes.PATH for every package PATH it links and
// exports it, and the runtime compares a plugin's copy with the host's
// when it opens the plugin ("plugin was built with a different version of
// package PATH").
const fingerprintPrefix = "go:link.pkghashbytes."

// fingerprintSize is the size of a package fingerprint; Mach-O symbol
// tables do not record sizes.
const fingerprintSize = 8

// goSymbols is what a Go binary's dynamic symbol table says.
type goSymbols struct {
	packages map[string]string // package path → fingerprint, hexadecimal
	exports  []string          // exported names of the main package, if asked
}

// readSymbols fills in f.Packages and f.Exports from a Go plugin's dynamic
// symbol table, and corrects f.PluginPath for a plugin built from files
// named on the command line. It leaves them nil when they can't be read.
func readSymbols(f *File) {
	prefix := symbolPrefix(f.PluginPath)
	var syms *goSymbols
	switch {
	case f.elf != nil:
		syms = elfSymbols(f.elf, f.elfReader, prefix)
	case f.macho != nil:
		syms = machoSymbols(f.macho, prefix)
	}
	if syms == nil {
		return
	}
	f.Packages = syms.packages
	if f.PluginPath == "command-line-arguments" {
		// go build -buildmode=plugin x.go names the plugin plugin/unnamed-HASH.
		for p := range f.Packages {
			if strings.HasPrefix(p, "plugin/unnamed-") {
				f.PluginPath = p
			}
		}
		return // its exports are under the other name; leave them unknown
	}
	f.Exports = syms.exports
}

// executablePackages returns the package fingerprints of the Go program in
// the file exe, or nil if it can't read them.
func executablePackages(exe string) map[string]string {
	r, err := os.Open(exe)
	if err != nil {
		return nil
	}
	defer r.Close()
	var syms *goSymbols
	if ef, err := elf.NewFile(r); err == nil {
		syms = elfSymbols(ef, r, "")
	} else if mf, err := macho.NewFile(r); err == nil {
		syms = machoSymbols(mf, "")
	}
	if syms == nil || len(syms.packages) == 0 {
		return nil
	}
	return syms.packages
}

// machoSymbols is elfSymbols for a Mach-O file, whose symbol names start
// with an underscore.
func machoSymbols(mf *macho.File, prefix string) *goSymbols {
	if mf.Symtab == nil {
		return nil
	}
	s := &goSymbols{packages: map[string]string{}}
	if prefix != "" {
		s.exports = []string{}
	}
	for _, sym := range mf.Symtab.Syms {
		name := strings.TrimPrefix(sym.Name, "_")
		switch {
		case strings.HasPrefix(name, fingerprintPrefix):
			if sym.Sect == 0 || int(sym.Sect) > len(mf.Sections) {
				continue
			}
			sec := mf.Sections[sym.Sect-1]
			if sym.Value < sec.Addr || sym.Value+fingerprintSize > sec.Addr+sec.Size {
				continue
			}
			b := make([]byte, fingerprintSize)
			if _, err := sec.ReadAt(b, int64(sym.Value-sec.Addr)); err != nil {
				continue
			}
			s.packages[name[len(fingerprintPrefix):]] = hex.EncodeToString(b)
		case prefix != "" && strings.HasPrefix(name, prefix):
			if n := name[len(prefix):]; isExported([]byte(n)) {
				s.exports = append(s.exports, n)
			}
		}
	}
	s.exports = sortedUnique(s.exports)
	return s
}

// hasSymbol reports whether f's main package exports api.Symbol, and
// whether that is known.
func hasSymbol(f *File) (has, known bool) {
	if f.Exports == nil {
		return false, false
	}
	i := sort.SearchStrings(f.Exports, api.Symbol)
	return i < len(f.Exports) && f.Exports[i] == api.Symbol, true
}

// commonBytes are the bytes most frequent in Go symbol names, the most
// frequent first.
const commonBytes = "\x00.etainorsl/ucpdmghfb*()ywSTEIN:_[]0123456789,;kvxzjq"

// indexRare is bytes.Index for searching a string table with thousands of
// symbol names. bytes.Index skips ahead by the needle's first byte, which in
// symbol names is often one of the most frequent ("example.com/..."
// starts with 'e'); indexRare skips ahead by the needle's rarest byte.
func indexRare(s, needle []byte) int {
	if len(needle) == 0 {
		return 0
	}
	k, rarity := 0, -1
	for i, c := range needle {
		r := strings.IndexByte(commonBytes, c) // the later, the rarer
		if r < 0 {
			r = len(commonBytes) // not among the common ones
		}
		if r > rarity {
			k, rarity = i, r
		}
	}
	for i := k; i < len(s); {
		j := bytes.IndexByte(s[i:], needle[k])
		if j < 0 {
			return -1
		}
		at := i + j - k
		if at+len(needle) <= len(s) && bytes.Equal(s[at:at+len(needle)], needle) {
			return at
		}
		i += j + 1
	}
	return -1
}

// isExported reports whether name is an exported Go identifier, and so a
// package-level name plugin.Lookup can find, not a method (T.M), a closure
// (f.func1) or a compiler-made symbol.
func isExported(name []byte) bool {
	r, _ := utf8.DecodeRune(name)
	if !unicode.IsUpper(r) {
		return false
	}
	for _, r := range string(name) {
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// symbolPrefix returns the prefix of the linker's names for the symbols of
// the package at path: the path, its last element's dots (and other
// troublesome bytes) escaped as %xx, then a dot.
func symbolPrefix(path string) string {
	if path == "" {
		return ""
	}
	slash := strings.LastIndexByte(path, '/')
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c <= ' ' || c == '%' || c == '"' || c >= 0x7f || (c == '.' && i > slash) {
			b.WriteString("%" + hex.EncodeToString([]byte{c}))
			continue
		}
		b.WriteByte(c)
	}
	return b.String() + "."
}

// sortedUnique sorts s and removes repeats, keeping nil as nil.
func sortedUnique(s []string) []string {
	if s == nil {
		return nil
	}
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
