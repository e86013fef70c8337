package plugincheck

import (
	"bytes"
	"debug/elf"
	"encoding/hex"
	"io"

	"github.com/logplug/logplug/api"
)

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
	sc := newELFScan(ef, buf[symtab.Offset-lo:symtab.Offset-lo+symtab.FileSize], buf[strtab.Offset-lo:strtab.Offset-lo+strtab.FileSize])
	var gh *gnuHash
	if hash != nil {
		gh = parseGNUHash(buf[hash.Offset-lo:hash.Offset-lo+hash.FileSize], ef.Class, ef.ByteOrder, sc.syms, sc.entSize, sc.strs)
	}
	sc.findNames(false, fingerprintPrefix, "", func(rest []byte) bool { return len(rest) > 0 })
	if prefix != "" {
		sc.exports = []string{}
		// Look for LoggingPlugin alone first; list every export only when
		// it is missing, to say what the plugin exports instead.
		if gh != nil {
			if e, ok := gh.lookup([]byte(prefix + api.Symbol)); ok {
				sc.use(e, symbolName{api.Symbol, true})
			}
		} else {
			sc.findNames(true, prefix, api.Symbol+"\x00", func([]byte) bool { return true })
		}
		if len(sc.exports) == 0 && sc.at[1].empty() {
			sc.findNames(true, prefix, "", isExported)
			gh = nil // every export is wanted: read the whole table
		}
	}
	if gh != nil {
		sc.lookUpWanted(gh)
	} else {
		sc.readTable()
	}
	return &goSymbols{packages: readFingerprints(sc.values), exports: sortedUnique(sc.exports)}
}

// symbolName is a name scanELFSymbols wants: a package path, for its
// fingerprint, or an exported name of the main package.
type symbolName struct {
	text   string
	export bool
}

// offsetRange is the first and last offset in a string table of the names
// of one kind.
type offsetRange struct{ first, last uint32 }

func (r offsetRange) empty() bool              { return r.first > r.last }
func (r offsetRange) contains(off uint32) bool { return r.first <= off && off <= r.last }
func (r *offsetRange) add(off uint32)          { r.first, r.last = min(r.first, off), max(r.last, off) }

// fingerprintValue is where in the file a package's fingerprint lies.
type fingerprintValue struct {
	pkg       string
	sec       *elf.Section
	addr, len uint64
}

// elfScan is the state of one scanELFSymbols: the tables, the names it
// wants and what it has found of them.
type elfScan struct {
	ef      *elf.File
	syms    []byte // the symbol table
	strs    []byte // its string table
	entSize int    // the size of an entry of syms

	wanted map[uint32]symbolName // by offset in strs
	at     [2]offsetRange        // the offsets of wanted, for packages and for exports

	exports []string
	values  []fingerprintValue
}

func newELFScan(ef *elf.File, syms, strs []byte) *elfScan {
	sc := &elfScan{ef: ef, syms: syms, strs: strs, entSize: 24, wanted: map[uint32]symbolName{}}
	if ef.Class == elf.ELFCLASS32 {
		sc.entSize = 16
	}
	for i := range sc.at {
		sc.at[i] = offsetRange{first: ^uint32(0)}
	}
	return sc
}

// findNames adds to the names wanted those in the string table that start
// with needle, end with after (a NUL ends every name) and whose rest, after
// needle, keep accepts.
func (sc *elfScan) findNames(export bool, needle, after string, keep func(rest []byte) bool) {
	strs, nb := sc.strs, []byte(needle+after)
	kind := 0
	if export {
		kind = 1
	}
	for i := 1; i < len(strs); {
		j := indexRare(strs[i:], nb)
		if j < 0 {
			return
		}
		start := i + j
		i = start + 1
		if strs[start-1] != 0 {
			continue // not the start of a name
		}
		restAt := start + len(needle)
		end := bytes.IndexByte(strs[restAt:], 0)
		if end < 0 {
			return
		}
		if rest := strs[restAt : restAt+end]; keep(rest) {
			sc.wanted[uint32(start)] = symbolName{string(rest), export}
			sc.at[kind].add(uint32(start))
		}
	}
}

// use records what the symbol table entry e says of the name n.
func (sc *elfScan) use(e []byte, n symbolName) {
	bo := sc.ef.ByteOrder
	var shndx uint16
	var addr, size uint64
	if sc.entSize == 24 {
		shndx, addr, size = bo.Uint16(e[6:]), bo.Uint64(e[8:]), bo.Uint64(e[16:])
	} else {
		addr, size, shndx = uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[8:])), bo.Uint16(e[14:])
	}
	if shndx == uint16(elf.SHN_UNDEF) || int(shndx) >= len(sc.ef.Sections) {
		return // defined elsewhere, or absolute
	}
	if n.export {
		sc.exports = append(sc.exports, n.text)
		return
	}
	sec := sc.ef.Sections[shndx]
	if sec.Type == elf.SHT_NOBITS || size == 0 || size > 64 || addr < sec.Addr || addr+size > sec.Addr+sec.Size {
		return
	}
	sc.values = append(sc.values, fingerprintValue{n.text, sec, addr, size})
}

// lookUpWanted finds the entry of each name wanted through the hash table.
func (sc *elfScan) lookUpWanted(gh *gnuHash) {
	for off, n := range sc.wanted {
		if end := bytes.IndexByte(sc.strs[off:], 0); end >= 0 {
			if e, ok := gh.lookup(sc.strs[off : int(off)+end]); ok {
				sc.use(e, n)
			}
		}
	}
}

// readTable reads the whole symbol table for the entries of the names
// wanted.
func (sc *elfScan) readTable() {
	bo := sc.ef.ByteOrder
	// Entry 0 is the undefined symbol.
	for off := sc.entSize; off+sc.entSize <= len(sc.syms); off += sc.entSize {
		e := sc.syms[off : off+sc.entSize]
		nameOff := bo.Uint32(e)
		if !sc.at[0].contains(nameOff) && !sc.at[1].contains(nameOff) {
			continue
		}
		if n, ok := sc.wanted[nameOff]; ok {
			sc.use(e, n)
		}
	}
}

// readFingerprints reads the fingerprints at values, by package path. They
// lie close together: it reads the span that holds them at once when they
// share a section, else one by one.
func readFingerprints(values []fingerprintValue) map[string]string {
	packages := make(map[string]string, len(values))
	if len(values) == 0 {
		return packages
	}
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
		packages[v.pkg] = hex.EncodeToString(b)
	}
	return packages
}
