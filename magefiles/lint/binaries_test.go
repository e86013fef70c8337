package lint

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// git runs git in dir with no configuration but the repository's own, and
// fails the test with its output if it fails.
func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=lint test", "-c", "user.email=lint@example.com", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestTrackedBinaries(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	// No configuration from outside the temporary folder.
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	root := t.TempDir()
	tests := []struct {
		name, data string
		// tracked files are committed; the others are only in the working
		// tree.
		tracked bool
		// want is the format named in the error, or "" for a file that
		// must not be reported.
		want string
	}{
		{"host/cmd/logplug/logplug", "\x7fELF\x02\x01\x01\x00rest of the header", true, "ELF"},
		{"plugins/x/x.so", "\x7fELF\x02\x01\x01\x03", true, "ELF"},
		{"darwin/logplug", "\xcf\xfa\xed\xfe\x07\x00\x00\x01", true, "Mach-O"},
		{"darwin/logplug32be", "\xfe\xed\xfa\xce\x00\x00\x00\x07", true, "Mach-O"},
		{"darwin/universal", "\xca\xfe\xba\xbe\x00\x00\x00\x02", true, "Mach-O universal"},
		{"main.go", "package main\n\nfunc main() {}\n", true, ""},
		{"notes.txt", "ELF is a format; \x7fELF in the middle is not a header\n", true, ""},
		{"short", "\x7fE", true, ""},
		{"empty", "", true, ""},
		{"bin/logplug", "\x7fELF\x02\x01\x01\x00", false, ""},
	}
	git(t, root, "init", "-q")
	for _, tt := range tests {
		writeFiles(t, root, map[string]string{tt.name: tt.data})
		if tt.tracked {
			git(t, root, "add", tt.name)
		}
	}
	git(t, root, "commit", "-q", "-m", "files")
	// A tracked file removed from the working tree is not there to read.
	writeFiles(t, root, map[string]string{"gone": "\x7fELF"})
	git(t, root, "add", "gone")
	git(t, root, "commit", "-q", "-m", "gone")
	os.Remove(filepath.Join(root, "gone"))

	err := TrackedBinaries(context.Background(), root)
	if err == nil {
		t.Fatal("TrackedBinaries = nil, want the ELF and Mach-O files")
	}
	lines := strings.Split(err.Error(), "\n")
	for _, tt := range tests {
		var found string
		for _, l := range lines {
			if strings.HasPrefix(l, tt.name+" ") {
				found = l
			}
		}
		switch {
		case tt.want == "" && found != "":
			t.Errorf("%s reported: %s", tt.name, found)
		case tt.want != "" && found == "":
			t.Errorf("%s not reported; the error is:\n%s", tt.name, err)
		case tt.want != "":
			want := tt.name + " is a tracked " + tt.want + " binary; fix: git rm --cached " + tt.name + " (build outputs belong in bin/, which .gitignore ignores)"
			if found != want {
				t.Errorf("line for %s = %q, want %q", tt.name, found, want)
			}
		}
	}
	if strings.Contains(err.Error(), "gone") {
		t.Errorf("a tracked file missing from the working tree was reported:\n%s", err)
	}

	// With the binaries untracked, nothing is reported.
	git(t, root, "rm", "-q", "--cached", "host/cmd/logplug/logplug", "plugins/x/x.so", "darwin/logplug", "darwin/logplug32be", "darwin/universal")
	if err := TrackedBinaries(context.Background(), root); err != nil {
		t.Errorf("TrackedBinaries after git rm --cached = %v", err)
	}
}
