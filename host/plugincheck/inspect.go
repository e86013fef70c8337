// Package plugincheck explains why a Go plugin file won't load, before
// anything opens it.
//
// plugin.Open can't be undone: a plugin that fails half-way stays in the
// process, opening the same file again can block forever, and a plugin
// whose init function panicked can make a later plugin abort the process.
// Its errors are also hard to act on ("plugin was built with a different
// version of package internal/goarch" is what a -trimpath mismatch says).
// So the host reads what the file itself carries, without running any of
// its code:
//
//   - its format, platform and kind, from the ELF or Mach-O headers: a
//     folder, an empty, truncated or unreadable file, a file for another
//     operating system or architecture, a program instead of a plugin;
//   - its Go build information ([debug/buildinfo]): Go version, build
//     settings (-trimpath, -race, -tags, GOAMD64, ...) and the version and
//     checksum of every module, compared with the host's own
//     ([runtime/debug.ReadBuildInfo]);
//   - its dynamic symbol table: the main package path Go knows the plugin
//     by (two files with the same path can't both load), the names its main
//     package exports (is there a LoggingPlugin?), and the fingerprint of
//     every package it links, which the Go runtime compares with the host's
//     copy of the same package when the plugin is opened. Comparing them
//     here predicts exactly which package plugin.Open would refuse.
//
// Every problem is a [Finding] that names the file, what it has, what the
// host wants, and the fix. What can only be seen by running the plugin's
// code (a panic in its init functions, the type of its LoggingPlugin) is
// left to the caller, preferably in a child process.
package plugincheck

import (
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"unicode/utf8"
)

// File describes what a plugin file carries. Fields the file does not
// provide are left empty.
type File struct {
	// Path is the file, as it was named to [Inspect].
	Path string
	// Size is its size in bytes.
	Size int64
	// Format is "ELF", "Mach-O" or "PE".
	Format string
	// GOOS and GOARCH are the platform the file was built for, from its
	// build information or else its headers.
	GOOS, GOARCH string
	// Type is what the headers say the file is: "shared library",
	// "executable", "bundle", "object file".
	Type string
	// Build is the file's Go build information; nil for a file that is not
	// a Go binary.
	Build *debug.BuildInfo
	// PluginPath is the path the Go runtime knows a plugin by: its main
	// package's import path, or the path the plugin was linked with
	// (-ldflags=-pluginpath=P), as the file records it. Empty for a file
	// that is not a Go plugin.
	PluginPath string
	// PluginPathSet reports that PluginPath was set with -pluginpath and
	// differs from the main package's import path.
	PluginPathSet bool
	// Exports are the names a plugin's main package exports, sorted; nil
	// when they could not be read.
	Exports []string
	// Packages maps the import path of every package the file links to
	// that package's fingerprint (hexadecimal), as the Go runtime compares
	// them when it opens a plugin. Nil when they could not be read.
	Packages map[string]string

	source    string             // where the bytes are read: Path, or a private copy of it
	digest    *[sha256.Size]byte // the SHA-256 of the bytes, once computed
	elf       *elf.File          // the parsed headers of an ELF file
	elfReader io.ReaderAt        // the ELF file's contents
	macho     *macho.File        // the parsed headers of a Mach-O file
}

// Inspect reads the file at path without opening it as a plugin: none of
// its code runs. It returns what it learnt and, when the file can't be a
// plugin at all (a folder, unreadable, empty, not an object file,
// truncated), the findings that say so. Whether the file suits a particular
// host is for [Host.Compare].
func Inspect(path string) (*File, []Finding) { return InspectAs(path, path) }

// InspectAs is [Inspect] for a file whose bytes lie at path but that the
// user knows by name, such as a private copy of it: the File and the
// findings name it name, and path is where later checks read its bytes.
func InspectAs(name, path string) (*File, []Finding) {
	f := &File{Path: name, source: path}
	st, findings := statPlugin(name, path)
	if findings != nil {
		return f, findings
	}
	f.Size = st.Size()
	r, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrPermission):
		mode := st.Mode().Perm().String()
		return f, oneFinding(name, fmt.Sprintf("can't be read: permission denied (mode %s)", mode), "mode "+mode, "readable by the host's user",
			"let the host's user read it (chmod a+r), or run the host as a user that may")
	case err != nil:
		return f, oneFinding(name, "can't be read: "+pathErrorCause(err), "", "", "")
	}
	defer func() {
		r.Close()
		f.elf, f.elfReader, f.macho = nil, nil, nil // they read from r
	}()
	if f.Size == 0 {
		return f, oneFinding(name, "is empty (0 bytes)", "0 bytes", "a plugin", "rebuild it, or copy it again")
	}
	hdr := make([]byte, 64)
	n, err := r.ReadAt(hdr, 0)
	if err != nil && err != io.EOF {
		return f, oneFinding(name, "can't be read: "+pathErrorCause(err), "", "", "")
	}
	hdr = hdr[:n]
	switch {
	case strings.HasPrefix(string(hdr), elf.ELFMAG):
		findings = readELF(f, r, hdr)
	case isMachO(hdr):
		findings = readMachO(f, r)
	case strings.HasPrefix(string(hdr), "MZ"):
		findings = readPE(f, r)
	default:
		return f, oneFinding(name, "is not an ELF or Mach-O file: it starts with "+describeStart(hdr), "", "a Go plugin",
			"replace it with a plugin built with go build -buildmode=plugin, or remove it from the plugin folder")
	}
	if len(findings) > 0 {
		return f, findings
	}
	readBuild(f, r)
	return f, nil
}

// statPlugin stats the file at path, named name in findings, and returns
// findings if it is not a regular file the host can reach.
func statPlugin(name, path string) (fs.FileInfo, []Finding) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, lerr := os.Lstat(path); lerr == nil {
			return nil, oneFinding(name, "is a symbolic link to a file that does not exist", "", "", "point the link at the plugin file, or remove it")
		}
		return nil, oneFinding(name, "does not exist", "", "", "check the path")
	case errors.Is(err, fs.ErrPermission):
		return nil, oneFinding(name, "can't be reached: permission denied on a folder that holds it", "", "", "let the host's user search every folder on the path (chmod a+x)")
	case err != nil:
		return nil, oneFinding(name, "can't be read: "+pathErrorCause(err), "", "", "")
	case st.IsDir():
		return nil, oneFinding(name, "is a folder, not a plugin file", "folder", "plugin file", "remove or rename the folder: the host loads every file whose name ends in .so")
	case !st.Mode().IsRegular():
		return nil, oneFinding(name, "is not a regular file but "+modeKind(st.Mode()), "", "", "put only plugin files in the plugin folder")
	}
	return st, nil
}

// oneFinding returns the one finding about the file name.
func oneFinding(name, problem, have, want, fix string) []Finding {
	return []Finding{{File: name, Problem: problem, Have: have, Want: want, Fix: fix}}
}

// readBuild fills in f's build information, platform, plugin path and
// symbols from the Go build information in r, when it has some.
func readBuild(f *File, r io.ReaderAt) {
	bi, err := buildinfo.Read(r)
	if err != nil {
		return
	}
	f.Build = bi
	if v := Setting(bi, "GOOS"); v != "" {
		f.GOOS = v
	}
	if v := Setting(bi, "GOARCH"); v != "" {
		f.GOARCH = v
	}
	if Setting(bi, "-buildmode") == "plugin" {
		f.PluginPath = bi.Path
		readSymbols(f) // the main package's symbols are named by its import path, whatever -pluginpath says
		if f.elf != nil {
			if pp, ok := elfPluginPath(f.elf, f.elfReader); ok && pp != f.PluginPath && bi.Path != "command-line-arguments" {
				f.PluginPath, f.PluginPathSet = pp, true
			}
		}
	}
}

// Setting returns the value of a build setting in bi, or "" if bi does not
// record it.
func Setting(bi *debug.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// pathErrorCause returns the cause of an error from the os package without
// the path it repeats.
func pathErrorCause(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// modeKind names the kind of a file that is not regular, with an article.
func modeKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file (" + m.String() + ")"
}

// describeStart quotes the first bytes of a file that is not an object
// file: up to the first line of text, or a few bytes of anything else.
func describeStart(b []byte) string {
	if len(b) > 24 {
		b = b[:24]
	}
	if i := strings.IndexByte(string(b), '\n'); i >= 0 {
		b = b[:i]
	}
	if utf8.Valid(b) {
		return strconv.Quote(string(b))
	}
	return fmt.Sprintf("the bytes % x", b[:min(len(b), 8)])
}

// truncated is the finding for a file shorter than its headers say.
func truncated(f *File, need uint64) []Finding {
	return []Finding{{
		File:    f.Path,
		Problem: fmt.Sprintf("is truncated: it has %d bytes, its headers need %d", f.Size, need),
		Have:    fmt.Sprintf("%d bytes", f.Size),
		Want:    fmt.Sprintf("%d bytes", need),
		Fix:     "copy it again, whole (compare its size with the original)",
	}}
}

// damaged is the finding for an object file the debug packages can't parse.
func damaged(f *File, err error) []Finding {
	return []Finding{{
		File:    f.Path,
		Problem: fmt.Sprintf("is a damaged %s file: %v", f.Format, err),
		Fix:     "rebuild it, or copy it again",
	}}
}

// readELF fills in f from an ELF file's headers, or says why it can't be a
// plugin.
func readELF(f *File, r io.ReaderAt, hdr []byte) []Finding {
	f.Format = "ELF"
	size := uint64(f.Size)
	// Check the header table bounds before debug/elf reads them, so that
	// a truncated file is reported as such.
	if len(hdr) < 52 {
		return truncated(f, 52)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if elf.Data(hdr[elf.EI_DATA]) == elf.ELFDATA2MSB {
		bo = binary.BigEndian
	}
	var need uint64
	switch elf.Class(hdr[elf.EI_CLASS]) {
	case elf.ELFCLASS64:
		if len(hdr) < 64 {
			return truncated(f, 64)
		}
		need = max(64,
			bo.Uint64(hdr[32:])+uint64(bo.Uint16(hdr[54:]))*uint64(bo.Uint16(hdr[56:])),
			bo.Uint64(hdr[40:])+uint64(bo.Uint16(hdr[58:]))*uint64(bo.Uint16(hdr[60:])))
	case elf.ELFCLASS32:
		need = max(52,
			uint64(bo.Uint32(hdr[28:]))+uint64(bo.Uint16(hdr[42:]))*uint64(bo.Uint16(hdr[44:])),
			uint64(bo.Uint32(hdr[32:]))+uint64(bo.Uint16(hdr[46:]))*uint64(bo.Uint16(hdr[48:])))
	}
	if need > size {
		return truncated(f, need)
	}
	ef, err := elf.NewFile(r)
	if err != nil {
		return damaged(f, err)
	}
	for _, p := range ef.Progs {
		if p.Filesz > 0 {
			need = max(need, p.Off+p.Filesz)
		}
	}
	for _, s := range ef.Sections {
		if s.Type != elf.SHT_NOBITS && s.FileSize > 0 {
			need = max(need, s.Offset+s.FileSize)
		}
	}
	if need > size {
		return truncated(f, need)
	}
	f.elf, f.elfReader = ef, r
	f.GOARCH = elfArch(ef)
	f.GOOS = elfOS(ef.OSABI)
	switch ef.Type {
	case elf.ET_DYN:
		f.Type = "shared library"
	case elf.ET_EXEC:
		f.Type = "executable"
	case elf.ET_REL:
		f.Type = "object file"
	case elf.ET_CORE:
		f.Type = "core dump"
	default:
		f.Type = ef.Type.String()
	}
	return nil
}

// elfArch returns the GOARCH of an ELF file.
func elfArch(ef *elf.File) string {
	le := ef.ByteOrder == binary.LittleEndian
	switch ef.Machine {
	case elf.EM_X86_64:
		return "amd64"
	case elf.EM_386:
		return "386"
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_ARM:
		return "arm"
	case elf.EM_PPC64:
		if le {
			return "ppc64le"
		}
		return "ppc64"
	case elf.EM_S390:
		return "s390x"
	case elf.EM_RISCV:
		return "riscv64"
	case elf.EM_LOONGARCH:
		return "loong64"
	case elf.EM_MIPS, elf.EM_MIPS_RS3_LE:
		arch := "mips"
		if ef.Class == elf.ELFCLASS64 {
			arch = "mips64"
		}
		if le {
			arch += "le"
		}
		return arch
	}
	return strings.ToLower(strings.TrimPrefix(ef.Machine.String(), "EM_"))
}

// elfOS returns the GOOS an ELF OS/ABI byte stands for, or "" when it does
// not say (Linux binaries usually leave it at ELFOSABI_NONE, and so do some
// other systems'; the build information says more).
func elfOS(abi elf.OSABI) string {
	switch abi {
	case elf.ELFOSABI_NONE, elf.ELFOSABI_LINUX:
		return "linux"
	case elf.ELFOSABI_FREEBSD:
		return "freebsd"
	case elf.ELFOSABI_NETBSD:
		return "netbsd"
	case elf.ELFOSABI_OPENBSD:
		return "openbsd"
	case elf.ELFOSABI_SOLARIS:
		return "solaris"
	}
	return ""
}

// isMachO reports whether b starts with a Mach-O magic number, thin or fat.
func isMachO(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	le, be := binary.LittleEndian.Uint32(b), binary.BigEndian.Uint32(b)
	for _, m := range []uint32{macho.Magic32, macho.Magic64} {
		if le == m || be == m {
			return true
		}
	}
	// 0xcafebabe is also the magic of Java class files; a fat Mach-O file
	// holds a small number of architectures where a class file has its
	// version.
	return be == macho.MagicFat && len(b) >= 8 && binary.BigEndian.Uint32(b[4:]) < 20
}

// readMachO fills in f from a Mach-O file's headers.
func readMachO(f *File, r io.ReaderAt) []Finding {
	f.Format = "Mach-O"
	f.GOOS = "darwin"
	mf, err := macho.NewFile(r)
	if err != nil {
		fat, ferr := macho.NewFatFile(r)
		if ferr != nil {
			if need := machoNeed(r); need > uint64(f.Size) {
				return truncated(f, need)
			}
			return damaged(f, err)
		}
		mf = fat.Arches[0].File
	}
	var need uint64
	for _, l := range mf.Loads {
		if s, ok := l.(*macho.Segment); ok && s.Filesz > 0 {
			need = max(need, s.Offset+s.Filesz)
		}
	}
	if need > uint64(f.Size) {
		return truncated(f, need)
	}
	f.macho = mf
	switch mf.Cpu {
	case macho.Cpu386:
		f.GOARCH = "386"
	case macho.CpuAmd64:
		f.GOARCH = "amd64"
	case macho.CpuArm:
		f.GOARCH = "arm"
	case macho.CpuArm64:
		f.GOARCH = "arm64"
	default:
		f.GOARCH = strings.ToLower(strings.TrimPrefix(mf.Cpu.String(), "Cpu"))
	}
	switch mf.Type {
	case macho.TypeExec:
		f.Type = "executable"
	case macho.TypeDylib:
		f.Type = "shared library"
	case macho.TypeBundle:
		f.Type = "bundle"
	case macho.TypeObj:
		f.Type = "object file"
	default:
		f.Type = mf.Type.String()
	}
	return nil
}

// machoNeed returns the size a thin Mach-O file needs by its own headers:
// the end of its load commands and of every segment they describe, as far
// as they can be read. debug/macho fails on a truncated file (it reads the
// symbol table) without saying why.
func machoNeed(r io.ReaderAt) uint64 {
	hdr := make([]byte, 32)
	if n, _ := r.ReadAt(hdr, 0); n < 28 {
		return 0
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if binary.BigEndian.Uint32(hdr) == macho.Magic64 || binary.BigEndian.Uint32(hdr) == macho.Magic32 {
		bo = binary.BigEndian
	}
	size := uint64(28)
	if bo.Uint32(hdr) == macho.Magic64 {
		size = 32
	}
	ncmd, cmdsz := bo.Uint32(hdr[16:]), uint64(bo.Uint32(hdr[20:]))
	need := size + cmdsz
	cmds := make([]byte, min(cmdsz, 1<<20))
	n, _ := r.ReadAt(cmds, int64(size))
	cmds = cmds[:n]
	for i := uint32(0); i < ncmd && len(cmds) >= 8; i++ {
		cmd, sz := macho.LoadCmd(bo.Uint32(cmds)), bo.Uint32(cmds[4:])
		if sz < 8 || int(sz) > len(cmds) {
			break
		}
		switch {
		case cmd == macho.LoadCmdSegment64 && sz >= 56:
			need = max(need, bo.Uint64(cmds[40:])+bo.Uint64(cmds[48:]))
		case cmd == macho.LoadCmdSegment && sz >= 40:
			need = max(need, uint64(bo.Uint32(cmds[32:]))+uint64(bo.Uint32(cmds[36:])))
		}
		cmds = cmds[sz:]
	}
	return need
}

// readPE fills in f from a Windows PE file's headers. No PE file can be a
// plugin, but its platform makes the clearest message.
func readPE(f *File, r io.ReaderAt) []Finding {
	f.Format = "PE"
	f.GOOS = "windows"
	f.Type = "Windows program or library"
	pf, err := pe.NewFile(r)
	if err != nil {
		return damaged(f, err)
	}
	switch pf.Machine {
	case pe.IMAGE_FILE_MACHINE_AMD64:
		f.GOARCH = "amd64"
	case pe.IMAGE_FILE_MACHINE_I386:
		f.GOARCH = "386"
	case pe.IMAGE_FILE_MACHINE_ARM64:
		f.GOARCH = "arm64"
	default:
		f.GOARCH = fmt.Sprintf("machine %#x", pf.Machine)
	}
	return nil
}
