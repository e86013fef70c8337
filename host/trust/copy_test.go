package trust

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrivateCopy(t *testing.T) {
	src := filepath.Join(t.TempDir(), "x.so")
	content := bytes.Repeat([]byte("plugin bytes "), 100000)
	if err := os.WriteFile(src, content, 0o755); err != nil {
		t.Fatal(err)
	}
	into := t.TempDir()
	chmod(t, into, 0o700) // whatever the umask: the copy's folder must pass the checker
	c, err := PrivateCopy(src, into)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(c.Path) != "x.so" {
		t.Errorf("copy is named %s, want x.so", filepath.Base(c.Path))
	}
	got, err := os.ReadFile(c.Path)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("copy holds %d bytes (%v), want the %d of the source", len(got), err, len(content))
	}
	if want, _ := HashFile(src); c.Digest != want {
		t.Errorf("Digest = %s, want %s", c.Digest, want)
	}
	for path, want := range map[string]os.FileMode{c.Path: 0o500, filepath.Dir(c.Path): 0o700 | os.ModeDir} {
		info, err := os.Stat(path)
		if err != nil || info.Mode() != want {
			t.Errorf("%s: mode %v (%v), want %v", path, info.Mode(), err, want)
		}
	}
	// Nobody but the user can write the copy: it passes the checker.
	if _, err := NewChecker(os.Geteuid()).Check(c.Path); err != nil {
		t.Errorf("the copy fails the permission check: %v", err)
	}
	if err := c.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(c.Path)); !os.IsNotExist(err) {
		t.Errorf("private folder still there after Remove: %v", err)
	}
}

func TestPrivateCopyErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, src, want string
	}{
		{"missing", filepath.Join(dir, "nope.so"), "no such file or directory"},
		{"folder", dir, dir + " is a folder, not a plugin file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			into := t.TempDir()
			c, err := PrivateCopy(tt.src, into)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("PrivateCopy = %v, %v; want an error with %q", c, err, tt.want)
			}
			if left, _ := os.ReadDir(into); len(left) != 0 {
				t.Errorf("left %d entries behind", len(left))
			}
		})
	}
}

func BenchmarkPrivateCopy4MB(b *testing.B) {
	src := filepath.Join(b.TempDir(), "x.so")
	if err := os.WriteFile(src, make([]byte, 4<<20), 0o755); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(4 << 20)
	for b.Loop() {
		c, err := PrivateCopy(src, "")
		if err != nil {
			b.Fatal(err)
		}
		c.Remove()
	}
}
