package plugincheck

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
)

// A gnuHash is an ELF file's GNU symbol hash table (.gnu.hash), the table
// the dynamic linker finds a symbol by: with it, finding a few names costs
// a few reads, where scanning the whole symbol table costs thousands.
type gnuHash struct {
	bo         binary.ByteOrder
	symOffset  uint32 // the first symbol in the table
	bloom      []byte // words of wordBytes bytes
	wordBytes  uint32
	bloomShift uint32
	buckets    []byte // uint32 each
	chain      []byte // uint32 each, from symbol symOffset on
	syms       []byte // the symbol table
	entSize    int
	strs       []byte // the string table
}

// parseGNUHash reads a .gnu.hash section over the symbol table syms and the
// string table strs, and returns nil when it is malformed.
func parseGNUHash(b []byte, class elf.Class, bo binary.ByteOrder, syms []byte, entSize int, strs []byte) *gnuHash {
	if len(b) < 16 || entSize <= 0 {
		return nil
	}
	nbuckets, symOffset := bo.Uint32(b), bo.Uint32(b[4:])
	bloomWords, bloomShift := bo.Uint32(b[8:]), bo.Uint32(b[12:])
	wordBytes := uint32(8)
	if class == elf.ELFCLASS32 {
		wordBytes = 4
	}
	nsyms := uint64(len(syms) / entSize)
	bloomEnd := 16 + uint64(bloomWords)*uint64(wordBytes)
	bucketsEnd := bloomEnd + 4*uint64(nbuckets)
	if nbuckets == 0 || bloomWords == 0 || bucketsEnd > uint64(len(b)) || uint64(symOffset) > nsyms {
		return nil
	}
	chain := b[bucketsEnd:]
	if max := 4 * (nsyms - uint64(symOffset)); uint64(len(chain)) > max {
		chain = chain[:max]
	}
	return &gnuHash{bo: bo, symOffset: symOffset, bloom: b[16:bloomEnd], wordBytes: wordBytes, bloomShift: bloomShift,
		buckets: b[bloomEnd:bucketsEnd], chain: chain, syms: syms, entSize: entSize, strs: strs}
}

// gnuHashOf is the hash function of the GNU hash table.
func gnuHashOf(name []byte) uint32 {
	h := uint32(5381)
	for _, c := range name {
		h = h*33 + uint32(c)
	}
	return h
}

// lookup returns the entry of the symbol called name in the symbol table,
// and whether the table has one: only symbols defined by the file are in
// the hash table.
func (t *gnuHash) lookup(name []byte) ([]byte, bool) {
	h := gnuHashOf(name)
	bits := 8 * t.wordBytes
	w := (h / bits) % uint32(len(t.bloom)/int(t.wordBytes))
	var word uint64
	if t.wordBytes == 8 {
		word = t.bo.Uint64(t.bloom[8*w:])
	} else {
		word = uint64(t.bo.Uint32(t.bloom[4*w:]))
	}
	mask := uint64(1)<<(h%bits) | uint64(1)<<((h>>t.bloomShift)%bits)
	if word&mask != mask {
		return nil, false
	}
	i := t.bo.Uint32(t.buckets[4*(h%uint32(len(t.buckets)/4)):])
	if i < t.symOffset {
		return nil, false
	}
	for ; ; i++ {
		c := 4 * uint64(i-t.symOffset)
		if c+4 > uint64(len(t.chain)) {
			return nil, false
		}
		h2 := t.bo.Uint32(t.chain[c:])
		if h|1 == h2|1 {
			e := t.syms[int(i)*t.entSize : (int(i)+1)*t.entSize]
			if off := uint64(t.bo.Uint32(e)); off+uint64(len(name)) < uint64(len(t.strs)) &&
				bytes.Equal(t.strs[off:off+uint64(len(name))], name) && t.strs[off+uint64(len(name))] == 0 {
				return e, true
			}
		}
		if h2&1 != 0 {
			return nil, false
		}
	}
}
