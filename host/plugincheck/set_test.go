package plugincheck

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// TestSetConflicts checks, with the exact messages, the conflicts between
// plugins that the host alone can't see: one plugin path for two files
// (in one batch, with a member of the set, and set with -pluginpath), a
// module linked in two forms, and byte-identical copies.
func TestSetConflicts(t *testing.T) {
	// plugin returns a plugin file, its bytes written to a folder of its own.
	plugin := func(path, pluginPath, bytes string, change func(f *File)) *File {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, path), []byte(bytes), 0o644); err != nil {
			t.Fatal(err)
		}
		return testPlugin(func(f *File) {
			f.Path, f.source, f.Size = path, filepath.Join(dir, path), int64(len(bytes))
			f.PluginPath, f.Build.Path, f.Build.Main.Path = pluginPath, pluginPath, pluginPath
			f.Packages = map[string]string{"runtime": "0a14fe193ffcafc0", "fmt": "1111111111111111", pluginPath: "3333333333333333"}
			if change != nil {
				change(f)
			}
		})
	}
	zerolog := func(m debug.Module) func(f *File) {
		return func(f *File) {
			f.Build.Deps = append(f.Build.Deps, &m)
			f.Packages["github.com/rs/zerolog"] = "5555555555555555" // the same code: fingerprints can't tell
		}
	}
	released := debug.Module{Path: "github.com/rs/zerolog", Version: "v1.35.1", Sum: "h1:released="}
	localCopy := debug.Module{Path: "github.com/rs/zerolog", Version: "v1.35.1", Replace: &debug.Module{Path: "./zerolog-copy"}}

	tests := []struct {
		name    string
		members []*File // checked in an earlier batch
		batch   []*File
		want    []string // each result: its findings' lines, or "copy of X", or "ok"
	}{
		{name: "byte-identical copies: the first loads",
			batch: []*File{plugin("a.so", "example.com/a", "AAAA", nil), plugin("b.so", "example.com/a", "AAAA", nil)},
			want:  []string{"ok", "copy of a.so"}},
		{name: "a copy of a member",
			members: []*File{plugin("a.so", "example.com/a", "AAAA", nil)},
			batch:   []*File{plugin("b.so", "example.com/a", "AAAA", nil)},
			want:    []string{"copy of a.so"}},
		{name: "one path, other bytes: neither loads",
			batch: []*File{plugin("a.so", "example.com/a", "AAAA", nil), plugin("b.so", "example.com/a", "BBBB", nil)},
			want: []string{
				"a.so: is built from the same main package path, example.com/a, as b.so; Go loads only one plugin per path; fix: rename the module of one of them (the module line of its go.mod) and rebuild it",
				"b.so: is built from the same main package path, example.com/a, as a.so; Go loads only one plugin per path; fix: rename the module of one of them (the module line of its go.mod) and rebuild it"}},
		{name: "the path of a member",
			members: []*File{plugin("a.so", "example.com/a", "AAAA", nil)},
			batch:   []*File{plugin("b.so", "example.com/a", "BBBB", nil)},
			want:    []string{"b.so: is built from the same main package path, example.com/a, as a.so (loaded already); Go loads only one plugin per path; fix: rename the module of one of them (the module line of its go.mod) and rebuild it"}},
		{name: "-pluginpath set to another plugin's path: refused alone, no conflict",
			batch: []*File{plugin("a.so", "example.com/a", "AAAA", nil), plugin("b.so", "example.com/a", "BBBB", func(f *File) {
				f.Build.Path, f.Build.Main.Path, f.PluginPathSet = "example.com/b", "example.com/b", true
			})},
			want: []string{"ok",
				"b.so: is linked with -pluginpath=example.com/a, not its main package's import path, example.com/b: Go would run its init functions, then look for example.com/a.LoggingPlugin and fail; fix: rebuild it without -ldflags=-pluginpath"}},
		{name: "a module replaced with a local copy beside the released one",
			batch: []*File{plugin("a.so", "example.com/a", "AAAA", zerolog(released)), plugin("b.so", "example.com/b", "BBBB", zerolog(localCopy))},
			want: []string{"ok",
				"b.so: links github.com/rs/zerolog v1.35.1 => ./zerolog-copy, and a.so, which loads before it, links github.com/rs/zerolog v1.35.1; whichever opens first would decide that module's code and variables for both; fix: build both against the same github.com/rs/zerolog (the same version, without a replace, or the same local copy)"}},
		{name: "a module in the same form",
			batch: []*File{plugin("a.so", "example.com/a", "AAAA", zerolog(released)), plugin("b.so", "example.com/b", "BBBB", zerolog(released))},
			want:  []string{"ok", "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testHost().NewSet()
			for _, r := range s.Check(tt.members) {
				if !r.OK() {
					t.Fatalf("member %s: %v", r.File.Path, r.Findings)
				}
			}
			var got []string
			for _, r := range s.Check(tt.batch) {
				var lines []string
				for _, f := range r.Findings {
					lines = append(lines, f.String())
				}
				switch {
				case r.CopyOf != "":
					got = append(got, "copy of "+r.CopyOf)
				case r.OK():
					got = append(got, "ok")
				default:
					got = append(got, strings.Join(lines, "\n"))
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestCopyMessage(t *testing.T) {
	if got, want := CopyMessage("p/b.so", "p/a.so"), "p/b.so: a copy of p/a.so (same SHA-256): loaded once, as p/a.so"; got != want {
		t.Errorf("CopyMessage = %q, want %q", got, want)
	}
}
