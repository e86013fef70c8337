package plugincheck

import (
	"bytes"
	"debug/elf"
	"io"
)

// pluginPathSymbol is the linker's local symbol that holds the path the Go
// runtime knows a plugin by. It is the main package's import path unless
// the plugin was linked with -ldflags=-pluginpath=P, which the build
// information does not record.
const pluginPathSymbol = "go:link.thispluginpath"

// elfPluginPath reads the plugin path from an ELF file's full symbol table
// (.symtab, where the symbol is local; .dynsym does not have it). ok is
// false for a stripped file, or when the table can't be read.
func elfPluginPath(ef *elf.File, r io.ReaderAt) (path string, ok bool) {
	symtab := ef.SectionByType(elf.SHT_SYMTAB)
	if symtab == nil || int(symtab.Link) >= len(ef.Sections) {
		return "", false
	}
	strtab := ef.Sections[symtab.Link]
	if symtab.Flags&elf.SHF_COMPRESSED != 0 || strtab.Flags&elf.SHF_COMPRESSED != 0 {
		return "", false
	}
	entSize, is64 := uint64(16), ef.Class == elf.ELFCLASS64
	if is64 {
		entSize = 24
	}
	locals := uint64(symtab.Info) // the index of the first global symbol
	if locals*entSize > symtab.FileSize || strtab.FileSize > 256<<20 {
		return "", false
	}
	err := guardFaults(func() {
		strs, release, err := readRange(r, strtab.Offset, strtab.Offset+strtab.FileSize)
		if err != nil {
			return
		}
		defer release()
		at := bytes.Index(strs, []byte("\x00"+pluginPathSymbol+"\x00"))
		if at < 0 {
			return
		}
		name := uint32(at + 1)
		syms, release2, err := readRange(r, symtab.Offset, symtab.Offset+locals*entSize)
		if err != nil {
			return
		}
		defer release2()
		bo := ef.ByteOrder
		for i := uint64(0); i < locals; i++ {
			e := syms[i*entSize : (i+1)*entSize]
			if bo.Uint32(e) != name {
				continue
			}
			var value, size uint64
			var shndx uint16
			if is64 {
				shndx, value, size = bo.Uint16(e[6:]), bo.Uint64(e[8:]), bo.Uint64(e[16:])
			} else {
				value, size, shndx = uint64(bo.Uint32(e[4:])), uint64(bo.Uint32(e[8:])), bo.Uint16(e[14:])
			}
			if int(shndx) >= len(ef.Sections) || size > 4096 {
				return
			}
			sec := ef.Sections[shndx]
			if value < sec.Addr || value-sec.Addr+size > sec.FileSize {
				return
			}
			b := make([]byte, size)
			if _, err := r.ReadAt(b, int64(sec.Offset+value-sec.Addr)); err != nil {
				return
			}
			path, ok = string(b), true
			return
		}
	})
	return path, ok && err == nil
}
