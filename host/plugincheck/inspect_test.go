package plugincheck

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// writeFile writes a file in dir and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// machoHeader returns a Mach-O 64-bit header with no load commands.
func machoHeader(cpu macho.Cpu, typ macho.Type) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, macho.FileHeader{Magic: macho.Magic64, Cpu: cpu, Type: typ})
	b.Write(make([]byte, 4)) // the reserved word of a 64-bit header
	return b.Bytes()
}

// machoWithSegment returns a Mach-O 64-bit header with one segment that
// ends at byte end of the file.
func machoWithSegment(end uint64) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, macho.FileHeader{Magic: macho.Magic64, Cpu: macho.CpuArm64, Type: macho.TypeBundle, Ncmd: 1, Cmdsz: 72})
	b.Write(make([]byte, 4))
	binary.Write(&b, binary.LittleEndian, macho.Segment64{Cmd: macho.LoadCmdSegment64, Len: 72, Offset: 0, Filesz: end})
	return b.Bytes()
}

// testExecutable returns the bytes of the running test binary, an ELF or
// Mach-O Go program.
func testExecutable(t *testing.T) []byte {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestInspectFindings(t *testing.T) {
	dir := t.TempDir()
	exe := testExecutable(t)
	tests := []struct {
		name string
		path func() string
		want string // the one finding, without "PATH: "
	}{
		{"missing", func() string { return filepath.Join(dir, "missing.so") }, "does not exist; fix: check the path"},
		{"dangling link", func() string {
			p := filepath.Join(dir, "link.so")
			if err := os.Symlink(filepath.Join(dir, "nowhere.so"), p); err != nil {
				t.Fatal(err)
			}
			return p
		}, "is a symbolic link to a file that does not exist; fix: point the link at the plugin file, or remove it"},
		{"folder", func() string {
			p := filepath.Join(dir, "x.so")
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			return p
		}, "is a folder, not a plugin file; fix: remove or rename the folder: the host loads every file whose name ends in .so"},
		{"empty", func() string { return writeFile(t, dir, "empty.so", nil, 0o644) }, "is empty (0 bytes); fix: rebuild it, or copy it again"},
		{"text", func() string { return writeFile(t, dir, "text.so", []byte("this is not a plugin\nat all\n"), 0o644) },
			`is not an ELF or Mach-O file: it starts with "this is not a plugin"; fix: replace it with a plugin built with go build -buildmode=plugin, or remove it from the plugin folder`},
		{"binary junk", func() string {
			return writeFile(t, dir, "junk.so", []byte{0xde, 0xad, 0xbe, 0xef, 0xff, 0xfe, 1, 2, 3}, 0o644)
		},
			`is not an ELF or Mach-O file: it starts with the bytes de ad be ef ff fe 01 02; fix: replace it with a plugin built with go build -buildmode=plugin, or remove it from the plugin folder`},
		{"truncated", func() string { return writeFile(t, dir, "half.so", exe[:len(exe)/2], 0o644) },
			"is truncated: it has " + strconv.Itoa(len(exe)/2) + " bytes, its headers need "},
		{"just a header", func() string { return writeFile(t, dir, "head.so", exe[:40], 0o644) },
			"is truncated: it has 40 bytes, its headers need "},
		{"truncated Mach-O", func() string { return writeFile(t, dir, "macho.so", machoWithSegment(4096), 0o644) },
			"is truncated: it has 104 bytes, its headers need 4096; fix: copy it again, whole (compare its size with the original)"},
		{"Mach-O with its load commands cut", func() string { return writeFile(t, dir, "macho-cut.so", machoWithSegment(4096)[:60], 0o644) },
			"is truncated: it has 60 bytes, its headers need 104; fix: copy it again, whole (compare its size with the original)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path()
			_, fs := Inspect(path)
			if len(fs) != 1 {
				t.Fatalf("Inspect(%s) = %v, want one finding", path, fs)
			}
			if got, want := fs[0].String(), path+": "+tt.want; !strings.HasPrefix(got, want) {
				t.Errorf("finding:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestInspectUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root, who may read any file; the integration tests check this as an unprivileged user")
	}
	path := writeFile(t, t.TempDir(), "secret.so", []byte("x"), 0o000)
	_, fs := Inspect(path)
	want := path + ": can't be read: permission denied (mode ----------); fix: let the host's user read it (chmod a+r), or run the host as a user that may"
	if len(fs) != 1 || fs[0].String() != want {
		t.Errorf("findings %v, want %s", fs, want)
	}
}

func TestInspectObjectFiles(t *testing.T) {
	dir := t.TempDir()
	exe := testExecutable(t)
	tests := []struct {
		name                      string
		data                      []byte
		format, goos, goarch, typ string
		goBuild                   bool
	}{
		{"this test program", exe, "", runtime.GOOS, runtime.GOARCH, "", true},
		{"Mach-O bundle for arm64", machoHeader(macho.CpuArm64, macho.TypeBundle), "Mach-O", "darwin", "arm64", "bundle", false},
		{"Mach-O program for amd64", machoHeader(macho.CpuAmd64, macho.TypeExec), "Mach-O", "darwin", "amd64", "executable", false},
		{"ELF for arm64", elfWithMachine(t, exe, elf.EM_AARCH64), "ELF", "", "arm64", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, dir, strings.ReplaceAll(tt.name, " ", "_")+".so", tt.data, 0o644)
			f, fs := Inspect(path)
			if len(fs) != 0 {
				t.Fatalf("findings %v, want none", fs)
			}
			if (tt.format != "" && f.Format != tt.format) || (tt.goos != "" && f.GOOS != tt.goos) || f.GOARCH != tt.goarch || (tt.typ != "" && f.Type != tt.typ) {
				t.Errorf("got %s %s for %s/%s, want %s %s for %s/%s", f.Format, f.Type, f.GOOS, f.GOARCH, tt.format, tt.typ, tt.goos, tt.goarch)
			}
			if (f.Build != nil) != tt.goBuild {
				t.Errorf("build information read: %v, want %v", f.Build != nil, tt.goBuild)
			}
			if f.PluginPath != "" {
				t.Errorf("a program has plugin path %q", f.PluginPath)
			}
		})
	}
}

// elfWithMachine returns a copy of an ELF file that claims another
// machine, or skips the test for a file that is not ELF.
func elfWithMachine(t *testing.T, data []byte, m elf.Machine) []byte {
	if !bytes.HasPrefix(data, []byte(elf.ELFMAG)) {
		t.Skipf("the test binary is not ELF on %s", runtime.GOOS)
	}
	out := bytes.Clone(data)
	ef, err := elf.NewFile(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	ef.ByteOrder.PutUint16(out[18:], uint16(m))
	// The build information still says the real GOARCH; drop it so that
	// the headers decide.
	if s := ef.Section(".go.buildinfo"); s != nil {
		copy(out[s.Offset:], make([]byte, 16))
	}
	return out
}

func TestReadRangeAndGuardFaults(t *testing.T) {
	// readRange maps a file's bytes; a mapped file that shrinks faults when
	// read, which guardFaults turns into an error.
	data := []byte("0123456789")
	path := writeFile(t, t.TempDir(), "f", data, 0o644)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, r := range []io.ReaderAt{f, bytes.NewReader(data)} {
		buf, release, err := readRange(r, 2, 6)
		if err != nil || string(buf) != "2345" {
			t.Errorf("readRange(%T) = %q, %v; want \"2345\"", r, buf, err)
		}
		if release != nil {
			release()
		}
	}
	if err := guardFaults(func() { panic("fault") }); err == nil {
		t.Error("guardFaults did not turn a panic into an error")
	}
}
