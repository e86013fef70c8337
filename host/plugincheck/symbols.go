package plugincheck

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"encoding/hex"
	"io"
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

// elfSymbols reads the package fingerprints and, when prefix is not empty,
// the exported names under prefix from an ELF file's dynamic symbol table.
// It reads the table raw, with few reads: debug/elf would make a string of
// each of its thousands of names, and the host does this before every
// plugin it loads.
func elfSymbols(ef *elf.File, r io.ReaderAt, prefix string) *goSymbols {
	symtab := ef.SectionByType(elf.SHT_DYNSYM)
	if symtab == nil || int(symtab.Link) >= len(ef.Sections) {
		return nil
	}
	strtab := ef.Sections[symtab.Link]
	if symtab.Flags&elf.SHF_COMPRESSED != 0 || strtab.Flags&elf.SHF_COMPRESSED != 0 {
		return nil
	}
	// The two tables, and the hash table over them, are next to each
	// other in the files Go links: read them at once.
	lo := min(symtab.Offset, strtab.Offset)
	hi := max(symtab.Offset+symtab.FileSize, strtab.Offset+strtab.FileSize)
	hash := gnuHashSection(ef, symtab)
	if hash != nil {
		lo, hi = min(lo, hash.Offset), max(hi, hash.Offset+hash.FileSize)
	}
	if hi-lo > 256<<20 {
		return nil
	}
	buf, release, err := readRange(r, lo, hi)
	if err != nil {
		return nil
	}
	defer release()
	var s *goSymbols
	err = guardFaults(func() { s = scanELFSymbols(ef, buf, lo, symtab, strtab, hash, prefix) })
	if err != nil {
		return nil
	}
	return s
}

// gnuHashSection returns the file's GNU hash table over symtab, or nil.
func gnuHashSection(ef *elf.File, symtab *elf.Section) *elf.Section {
	for _, sec := range ef.Sections {
		if sec.Type == elf.SHT_GNU_HASH && int(sec.Link) < len(ef.Sections) && ef.Sections[sec.Link] == symtab && sec.Flags&elf.SHF_COMPRESSED == 0 {
			return sec
		}
	}
	return nil
}

// scanELFSymbols does the work of elfSymbols on buf, the bytes of the file
// from offset lo that hold the tables. It finds the names it wants in the
// string table first, reading it in order, then the symbols that use them:
// through the hash table, when the file has one (hash), or else by reading
// the whole symbol table; looking up the name of each of thousands of
// symbols, at random places in the string table, would cost several times
// more.
func scanELFSymbols(ef *elf.File, buf []byte, lo uint64, symtab, strtab, hash *elf.Section, prefix string) *goSymbols {
	data := buf[symtab.Offset-lo : symtab.Offset-lo+symtab.FileSize]
	strs := buf[strtab.Offset-lo : strtab.Offset-lo+strtab.FileSize]
	s := &goSymbols{packages: map[string]string{}}
	if prefix != "" {
		s.exports = []string{}
	}

	// The names wanted, by their offset in the string table: a package
	// path for a fingerprint, or an exported name.
	type name struct {
		text   string
		export bool
	}
	wanted := map[uint32]name{}
	var ranges [2][2]uint32 // the offsets of each kind of name, first and last
	ranges[0], ranges[1] = [2]uint32{^uint32(0), 0}, [2]uint32{^uint32(0), 0}
	// find records the names that start with before+needle and end with
	// after (a NUL ends every name).
	find := func(export bool, before, needle, after string, keep func(rest []byte) bool) {
		nb := []byte(needle + after)
		for i := len(before) + 1; i < len(strs); {
			j := indexRare(strs[i:], nb)
			if j < 0 {
				return
			}
			at := i + j
			i = at + 1
			start := at - len(before)
			if strs[start-1] != 0 || string(strs[start:at]) != before {
				continue // not the start of a name
			}
			end := at + len(needle) + bytes.IndexByte(strs[at+len(needle):], 0)
			if end < at+len(needle) {
				return
			}
			if rest := strs[at+len(needle) : end]; keep(rest) {
				k := 0
				if export {
					k = 1
				}
				wanted[uint32(start)] = name{string(rest), export}
				ranges[k] = [2]uint32{min(ranges[k][0], uint32(start)), max(ranges[k][1], uint32(start))}
			}
		}
	}
	bo := ef.ByteOrder
	entSize := 24
	if ef.Class == elf.ELFCLASS32 {
		entSize = 16
	}
	var gh *gnuHash
	if hash != nil {
		gh = parseGNUHash(buf[hash.Offset-lo:hash.Offset-lo+hash.FileSize], ef.Class, bo, data, entSize, strs)
	}
	type value struct {
		pkg       string
		sec       *elf.Section
		addr, len uint64
	}
	var values []value
	// use records what the symbol table entry e says of the name n.
	use := func(e []byte, n name) {
		var shndx uint16
		var addr, size uint64
		if entSize == 24 {
			shndx, addr, size = bo.Uint16(e[6:]), bo.Uint64(e[8:]), bo.Uint64(e[16:])
		} else {
			addr, size, shndx = uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[8:])), bo.Uint16(e[14:])
		}
		if shndx == uint16(elf.SHN_UNDEF) || int(shndx) >= len(ef.Sections) {
			return // defined elsewhere, or absolute
		}
		if n.export {
			s.exports = append(s.exports, n.text)
			return
		}
		sec := ef.Sections[shndx]
		if sec.Type == elf.SHT_NOBITS || size == 0 || size > 64 || addr < sec.Addr || addr+size > sec.Addr+sec.Size {
			return
		}
		values = append(values, value{n.text, sec, addr, size})
	}

	find(false, "", fingerprintPrefix, "", func(rest []byte) bool { return len(rest) > 0 })
	if prefix != "" {
		// Look for LoggingPlugin alone first; list every export only when
		// it is missing, to say what the plugin exports instead.
		if gh != nil {
			if e, ok := gh.lookup([]byte(prefix + api.Symbol)); ok {
				use(e, name{api.Symbol, true})
			}
		} else {
			find(true, "", prefix, api.Symbol+"\x00", func([]byte) bool { return true })
		}
		if len(s.exports) == 0 && ranges[1][0] == ^uint32(0) {
			find(true, "", prefix, "", isExported)
			gh = nil // every export is wanted: read the whole table
		}
	}
	if gh != nil {
		for off, n := range wanted {
			if end := bytes.IndexByte(strs[off:], 0); end >= 0 {
				if e, ok := gh.lookup(strs[off : int(off)+end]); ok {
					use(e, n)
				}
			}
		}
	} else {
		// Entry 0 is the undefined symbol.
		for off := entSize; off+entSize <= len(data); off += entSize {
			e := data[off : off+entSize]
			nameOff := bo.Uint32(e)
			if (nameOff < ranges[0][0] || nameOff > ranges[0][1]) && (nameOff < ranges[1][0] || nameOff > ranges[1][1]) {
				continue
			}
			if n, ok := wanted[nameOff]; ok {
				use(e, n)
			}
		}
	}
	// The fingerprints lie close together: read the span that holds them
	// at once when they share a section, else one by one.
	if len(values) > 0 {
		sec, first, last := values[0].sec, values[0].addr, values[0].addr+values[0].len
		for _, v := range values {
			if v.sec != sec {
				sec = nil
				break
			}
			first, last = min(first, v.addr), max(last, v.addr+v.len)
		}
		var span []byte
		if sec != nil && last-first <= 1<<20 {
			span = make([]byte, last-first)
			if _, err := sec.ReadAt(span, int64(first-sec.Addr)); err != nil {
				span = nil
			}
		}
		for _, v := range values {
			var b []byte
			if span != nil {
				b = span[v.addr-first : v.addr-first+v.len]
			} else {
				b = make([]byte, v.len)
				if _, err := v.sec.ReadAt(b, int64(v.addr-v.sec.Addr)); err != nil {
					continue
				}
			}
			s.packages[v.pkg] = hex.EncodeToString(b)
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
