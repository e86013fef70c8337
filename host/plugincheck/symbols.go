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
		syms = elfSymbols(f.elf, prefix)
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
		syms = elfSymbols(ef, "")
	} else if mf, err := macho.NewFile(r); err == nil {
		syms = machoSymbols(mf, "")
	}
	if syms == nil || len(syms.packages) == 0 {
		return nil
	}
	return syms.packages
}

// elfSymbols reads the package fingerprints and, when prefix is not empty,
// the exported names under prefix from an ELF file's dynamic symbol table.
// It reads the table raw: debug/elf would make a string of each of its
// thousands of names, and the host does this before every plugin it loads.
func elfSymbols(ef *elf.File, prefix string) *goSymbols {
	symtab := ef.SectionByType(elf.SHT_DYNSYM)
	if symtab == nil || int(symtab.Link) >= len(ef.Sections) {
		return nil
	}
	data, err := symtab.Data()
	if err != nil {
		return nil
	}
	strs, err := ef.Sections[symtab.Link].Data()
	if err != nil {
		return nil
	}
	bo := ef.ByteOrder
	entSize := 24
	if ef.Class == elf.ELFCLASS32 {
		entSize = 16
	}
	s := &goSymbols{packages: map[string]string{}}
	if prefix != "" {
		s.exports = []string{}
	}
	fp, pre := []byte(fingerprintPrefix), []byte(prefix)
	// Entry 0 is the undefined symbol.
	for off := entSize; off+entSize <= len(data); off += entSize {
		e := data[off : off+entSize]
		var shndx uint16
		var value, size uint64
		if entSize == 24 {
			shndx, value, size = bo.Uint16(e[6:]), bo.Uint64(e[8:]), bo.Uint64(e[16:])
		} else {
			value, size, shndx = uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[8:])), bo.Uint16(e[14:])
		}
		if shndx == uint16(elf.SHN_UNDEF) || int(shndx) >= len(ef.Sections) {
			continue // defined elsewhere, or absolute
		}
		name := cString(strs, bo.Uint32(e))
		switch {
		case bytes.HasPrefix(name, fp):
			sec := ef.Sections[shndx]
			if sec.Type == elf.SHT_NOBITS || size == 0 || size > 64 || value < sec.Addr {
				continue
			}
			b := make([]byte, size)
			if _, err := sec.ReadAt(b, int64(value-sec.Addr)); err != nil {
				continue
			}
			s.packages[string(name[len(fp):])] = hex.EncodeToString(b)
		case len(pre) > 0 && bytes.HasPrefix(name, pre):
			if n := name[len(pre):]; isExported(n) {
				s.exports = append(s.exports, string(n))
			}
		}
	}
	s.exports = sortedUnique(s.exports)
	return s
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

// cString returns the NUL-terminated string at off in a string table.
func cString(tab []byte, off uint32) []byte {
	if int(off) >= len(tab) {
		return nil
	}
	b := tab[off:]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return b
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
