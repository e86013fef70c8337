package trust

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// otherUID owns files in tests that need an owner who is neither root nor
// the host's user; only root can give files away.
const otherUID = 12345

func TestChecker(t *testing.T) {
	root := os.Geteuid() == 0
	tests := []struct {
		name string
		// setup builds the tree under base (a real path holding the folder
		// p, with the file p/x.so, both mode 0755) and returns the path to
		// check.
		setup func(t *testing.T, base string) string
		// uid is the Checker's user; -1 means the test's own.
		uid int
		// needRoot marks cases that chown to another user.
		needRoot bool
		// want is the error, with B for base; "" means the check passes.
		want string
		// wantReal is the real path, with B for base, when want is "".
		wantReal string
	}{
		{name: "safe", want: "", wantReal: "B/p/x.so",
			setup: func(t *testing.T, base string) string { return base + "/p/x.so" }},
		{name: "file writable by group", want: "file B/p/x.so is writable by group (mode 0775); fix: chmod g-w B/p/x.so",
			setup: func(t *testing.T, base string) string { chmod(t, base+"/p/x.so", 0o775); return base + "/p/x.so" }},
		{name: "file writable by others", want: "file B/p/x.so is writable by others (mode 0646); fix: chmod o-w B/p/x.so",
			setup: func(t *testing.T, base string) string { chmod(t, base+"/p/x.so", 0o646); return base + "/p/x.so" }},
		{name: "file writable by all", want: "file B/p/x.so is writable by group and others (mode 0666); fix: chmod go-w B/p/x.so",
			setup: func(t *testing.T, base string) string { chmod(t, base+"/p/x.so", 0o666); return base + "/p/x.so" }},
		{name: "folder writable by group", want: "folder B/p is writable by group (mode 0775); fix: chmod g-w B/p",
			setup: func(t *testing.T, base string) string { chmod(t, base+"/p", 0o775); return base + "/p/x.so" }},
		{name: "world-writable folder without sticky bit", want: "folder B/p is writable by group and others (mode 0777); fix: chmod go-w B/p",
			setup: func(t *testing.T, base string) string { chmod(t, base+"/p", 0o777); return base + "/p/x.so" }},
		{name: "sticky world-writable folder, own file", want: "", wantReal: "B/p/x.so",
			setup: func(t *testing.T, base string) string { chmod(t, base+"/p", 0o1777); return base + "/p/x.so" }},
		{name: "group-writable folder above the plugin folder", want: "folder B is writable by group (mode 0770); fix: chmod g-w B",
			setup: func(t *testing.T, base string) string { chmod(t, base, 0o770); return base + "/p/x.so" }},
		{name: "relative path", want: "", wantReal: "B/p/x.so",
			setup: func(t *testing.T, base string) string { t.Chdir(base); return "p/./x.so" }},
		{name: "symlink into a world-writable folder", want: "folder B/q is writable by group and others (mode 0777); fix: chmod go-w B/q",
			setup: func(t *testing.T, base string) string {
				mkdir(t, base+"/q", 0o777)
				writeFile(t, base+"/q/y.so", 0o755)
				symlink(t, "../q/y.so", base+"/p/link.so")
				return base + "/p/link.so"
			}},
		{name: "symlinked folder, then ..", want: "", wantReal: "B/q/x.so",
			// p/sub -> ../q/deep, so p/sub/../x.so is q/x.so, as the kernel
			// resolves it (not p/x.so, as a lexical clean would).
			setup: func(t *testing.T, base string) string {
				mkdir(t, base+"/q", 0o755)
				mkdir(t, base+"/q/deep", 0o755)
				writeFile(t, base+"/q/x.so", 0o755)
				symlink(t, "../q/deep", base+"/p/sub")
				return base + "/p/sub/../x.so"
			}},
		{name: "symlink chain", want: "", wantReal: "B/q/y.so",
			setup: func(t *testing.T, base string) string {
				mkdir(t, base+"/q", 0o755)
				writeFile(t, base+"/q/y.so", 0o755)
				symlink(t, base+"/q/y.so", base+"/q/z.so")
				symlink(t, "../q/z.so", base+"/p/link.so")
				return base + "/p/link.so"
			}},
		{name: "file owned by another user", needRoot: true,
			want:  "file B/p/x.so is owned by uid 12345, not by root or the host's user (uid 0); fix: chown root B/p/x.so",
			setup: func(t *testing.T, base string) string { chown(t, base+"/p/x.so"); return base + "/p/x.so" }},
		{name: "folder owned by another user", needRoot: true,
			want:  "folder B/p is owned by uid 12345, not by root or the host's user (uid 0); fix: chown root B/p",
			setup: func(t *testing.T, base string) string { chown(t, base+"/p"); return base + "/p/x.so" }},
		{name: "sticky folder, file owned by another user", needRoot: true,
			want: "file B/p/x.so is owned by uid 12345, not by root or the host's user (uid 0); fix: chown root B/p/x.so",
			setup: func(t *testing.T, base string) string {
				chmod(t, base+"/p", 0o1777)
				chown(t, base+"/p/x.so")
				return base + "/p/x.so"
			}},
		{name: "symlink owned by another user", needRoot: true,
			want: "symlink B/p/link.so is owned by uid 12345, not by root or the host's user (uid 0); fix: chown -h root B/p/link.so",
			setup: func(t *testing.T, base string) string {
				symlink(t, "x.so", base+"/p/link.so")
				if err := os.Lchown(base+"/p/link.so", otherUID, -1); err != nil {
					t.Fatal(err)
				}
				return base + "/p/link.so"
			}},
		{name: "owned by the host's user, who is not root", needRoot: true, uid: otherUID, want: "", wantReal: "B/p/x.so",
			setup: func(t *testing.T, base string) string {
				chown(t, base)
				chown(t, base+"/p")
				chown(t, base+"/p/x.so")
				return base + "/p/x.so"
			}},
		{name: "root's file, host's user not root", needRoot: true, uid: otherUID, want: "", wantReal: "B/p/x.so",
			setup: func(t *testing.T, base string) string { chown(t, base); chown(t, base+"/p"); return base + "/p/x.so" }},
		{name: "the host's user's file, but a third user's folder", needRoot: true, uid: otherUID + 1,
			want:  "folder B is owned by uid 12345, not by root or the host's user (uid 12346); fix: chown root B",
			setup: func(t *testing.T, base string) string { chown(t, base); return base + "/p/x.so" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needRoot && !root {
				t.Skip("needs root: only root can give a file to another user (os.Chown)")
			}
			base := tempTree(t)
			path := tt.setup(t, base)
			uid := os.Geteuid()
			if tt.uid != 0 {
				uid = tt.uid
			}
			real, err := NewChecker(uid).Check(path)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				if want := strings.ReplaceAll(tt.wantReal, "B", base); real != want {
					t.Errorf("real path = %s, want %s", real, want)
				}
				ev, err := filepath.EvalSymlinks(path)
				if err == nil {
					ev, err = filepath.Abs(ev)
				}
				if err != nil || ev != real {
					t.Errorf("EvalSymlinks = %s, %v; Check says %s", ev, err, real)
				}
				return
			}
			var pe *PermissionError
			if !errors.As(err, &pe) {
				t.Fatalf("Check = %q, %v; want a *PermissionError", real, err)
			}
			if got, want := pe.Error()+"; fix: "+pe.Fix, strings.ReplaceAll(tt.want, "B", base); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestCheckerResolveErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, base string) string
		want  string
		is    error
	}{
		{"missing file", func(t *testing.T, base string) string { return base + "/p/nope.so" }, "B/p/nope.so", fs.ErrNotExist},
		{"dangling symlink", func(t *testing.T, base string) string {
			symlink(t, "gone.so", base+"/p/link.so")
			return base + "/p/link.so"
		}, "B/p/gone.so", fs.ErrNotExist},
		{"symlink loop", func(t *testing.T, base string) string {
			symlink(t, "b.so", base+"/p/a.so")
			symlink(t, "a.so", base+"/p/b.so")
			return base + "/p/a.so"
		}, "too many symlinks", nil},
		{"file used as a folder", func(t *testing.T, base string) string { return base + "/p/x.so/y.so" }, "not a folder", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tempTree(t)
			_, err := NewChecker(os.Geteuid()).Check(tt.setup(t, base))
			if err == nil || !strings.Contains(err.Error(), strings.ReplaceAll(tt.want, "B", base)) {
				t.Fatalf("Check error = %v, want one mentioning %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			var pe *PermissionError
			if errors.As(err, &pe) {
				t.Errorf("error %v is a *PermissionError", err)
			}
		})
	}
}

func TestCheckerLooksAtEachEntryOnce(t *testing.T) {
	base := tempTree(t)
	c := NewChecker(os.Geteuid())
	if _, err := c.Check(base + "/p/x.so"); err != nil {
		t.Fatal(err)
	}
	n := len(c.seen)
	writeFile(t, base+"/p/y.so", 0o755)
	if _, err := c.Check(base + "/p/y.so"); err != nil {
		t.Fatal(err)
	}
	if got := len(c.seen); got != n+1 {
		t.Errorf("checking a second file in the same folder looked at %d new entries, want 1", got-n)
	}
	// A problem is remembered and given again.
	chmod(t, base+"/p/z.so", 0o666, true)
	_, err1 := c.Check(base + "/p/z.so")
	_, err2 := c.Check(base + "/p/z.so")
	if err1 == nil || err1 != err2 {
		t.Errorf("errors %v and %v, want the same error twice", err1, err2)
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		folder, path string
		want         bool
	}{
		{"/srv/plugins", "/srv/plugins/x.so", true},
		{"/srv/plugins", "/srv/plugins/sub/x.so", true},
		{"/srv/plugins", "/srv/plugins", true},
		{"/srv/plugins", "/srv/plugins2/x.so", false},
		{"/srv/plugins", "/srv/x.so", false},
		{"/", "/x.so", true},
	}
	for _, tt := range tests {
		if got := Within(tt.folder, tt.path); got != tt.want {
			t.Errorf("Within(%q, %q) = %v, want %v", tt.folder, tt.path, got, tt.want)
		}
	}
}

func BenchmarkCheckFolderOf20(b *testing.B) {
	base, err := filepath.EvalSymlinks(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	var files []string
	for i := range 20 {
		f := filepath.Join(base, "p"+string(rune('a'+i))+".so")
		if err := os.WriteFile(f, nil, 0o755); err != nil {
			b.Fatal(err)
		}
		files = append(files, f)
	}
	b.ReportAllocs()
	for b.Loop() {
		c := NewChecker(os.Geteuid())
		for _, f := range files {
			if _, err := c.Check(f); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// tempTree makes base/p (mode 0755) holding x.so (mode 0755) in a fresh
// temporary folder, and returns base as a real path.
func tempTree(t *testing.T) string {
	t.Helper()
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	chmod(t, base, 0o755)
	mkdir(t, base+"/p", 0o755)
	writeFile(t, base+"/p/x.so", 0o755)
	return base
}

func mkdir(t *testing.T, dir string, mode fs.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	chmod(t, dir, mode)
}

func writeFile(t *testing.T, name string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(name, []byte("not really a plugin"), 0o600); err != nil {
		t.Fatal(err)
	}
	chmod(t, name, mode)
}

// chmod sets the mode bits exactly, whatever the umask; with create, it
// makes the file first.
func chmod(t *testing.T, name string, mode fs.FileMode, create ...bool) {
	t.Helper()
	if len(create) > 0 && create[0] {
		if err := os.WriteFile(name, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	perm := mode & fs.ModePerm
	if mode&0o1000 != 0 {
		perm |= fs.ModeSticky
	}
	if err := os.Chmod(name, perm); err != nil {
		t.Fatal(err)
	}
}

func chown(t *testing.T, name string) {
	t.Helper()
	if err := os.Chown(name, otherUID, -1); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
