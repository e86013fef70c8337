package plugincheck

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGNUHashLookup looks up every symbol that the running test binary
// and the shared libraries it loaded (the C library, on Linux) define in
// their dynamic symbol tables, through their GNU hash tables.
func TestGNUHashLookup(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	files := []string{exe}
	if maps, err := os.ReadFile("/proc/self/maps"); err == nil {
		seen := map[string]bool{}
		for _, line := range strings.Split(string(maps), "\n") {
			f := strings.Fields(line)
			if len(f) == 6 && strings.Contains(f[5], ".so") && !seen[f[5]] {
				seen[f[5]] = true
				files = append(files, f[5])
			}
		}
	}
	total := 0
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { total += testGNUHash(t, file) })
	}
	if total == 0 {
		t.Skip("no file with a GNU hash table and defined dynamic symbols")
	}
}

// testGNUHash looks up every symbol file defines and returns how many.
func testGNUHash(t *testing.T, file string) int {
	ef, err := elf.Open(file)
	if err != nil {
		t.Skipf("not an ELF file: %v", err)
	}
	defer ef.Close()
	symtab := ef.SectionByType(elf.SHT_DYNSYM)
	if symtab == nil {
		t.Skip("no dynamic symbol table")
	}
	hash := gnuHashSection(ef, symtab)
	if hash == nil {
		t.Skip("no GNU hash table")
	}
	read := func(s *elf.Section) []byte {
		b, err := s.Data()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	entSize := 24
	if ef.Class == elf.ELFCLASS32 {
		entSize = 16
	}
	syms, strs := read(symtab), read(ef.Sections[symtab.Link])
	gh := parseGNUHash(read(hash), ef.Class, ef.ByteOrder, syms, entSize, strs)
	if gh == nil {
		t.Fatal("parseGNUHash: the table is malformed")
	}
	all, err := ef.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]map[uint64]bool{} // a versioned name may have several
	for _, s := range all {
		if s.Section != elf.SHN_UNDEF && s.Name != "" {
			if values[s.Name] == nil {
				values[s.Name] = map[uint64]bool{}
			}
			values[s.Name][s.Value] = true
		}
	}
	for name, want := range values {
		e, ok := gh.lookup([]byte(name))
		if !ok {
			t.Errorf("lookup(%q): not found", name)
			continue
		}
		if v := ef.ByteOrder.Uint64(e[8:]); entSize == 24 && !want[v] {
			t.Errorf("lookup(%q): value %#x, want one of %v", name, v, want)
		}
	}
	for _, name := range []string{"plugincheck.no such symbol", "", "runtime.no_such"} {
		if _, ok := gh.lookup([]byte(name)); ok {
			t.Errorf("lookup(%q): found, want not found", name)
		}
	}
	if got := parseGNUHash(read(hash)[:8], ef.Class, ef.ByteOrder, syms, entSize, strs); got != nil {
		t.Error("parseGNUHash of a truncated table: not nil")
	}
	t.Logf("%d symbols found through the hash table", len(values))
	return len(values)
}
