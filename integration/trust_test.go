package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// otherUID owns files that belong to neither root nor the host's user.
const otherUID = 12345

// The output of the two plugins of the trust tests for the message "hello".
const (
	stdoutjsonHello = `{"level":"info","msg":"hello"}`
	articleHello    = "[INFO]\thello\t{}"
)

// trustSetup is what a trust test case works with: D, the plugin folder,
// holds stdoutjson.so and article.so; E is another folder, empty; K holds
// keys and pins. All are real paths, mode 0755, owned by the test's user.
type trustSetup struct{ D, E, K string }

func newTrustSetup(t *testing.T) trustSetup {
	t.Helper()
	s := trustSetup{D: realDir(t), E: realDir(t), K: realDir(t)}
	copyFile(t, referencePlugin("stdoutjson"), filepath.Join(s.D, "stdoutjson.so"))
	copyFile(t, fixture("article"), filepath.Join(s.D, "article.so"))
	return s
}

// expand replaces {D}, {E} and {K} in s.
func (s trustSetup) expand(text string) string {
	return strings.NewReplacer("{D}", s.D, "{E}", s.E, "{K}", s.K).Replace(text)
}

// realDir returns a new temporary folder, as a real path, with mode 0755.
func realDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	chmod(t, dir, 0o755)
	return dir
}

// chmod sets mode bits exactly, whatever the umask; 0o1000 is the sticky
// bit.
func chmod(t *testing.T, name string, mode os.FileMode) {
	t.Helper()
	perm := mode & os.ModePerm
	if mode&0o1000 != 0 {
		perm |= os.ModeSticky
	}
	if err := os.Chmod(name, perm); err != nil {
		t.Fatal(err)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// moveArticle moves article.so from D to E, for the cases about E.
func (s trustSetup) moveArticle(t *testing.T) {
	t.Helper()
	mustDo(t, os.Rename(filepath.Join(s.D, "article.so"), filepath.Join(s.E, "article.so")))
}

// keygen makes a key pair K/NAME.key and K/NAME.pub.
func (s trustSetup) keygen(t *testing.T, name string) {
	t.Helper()
	if r := logplug(t, "", "keygen", "-o", filepath.Join(s.K, name)); r.code != 0 {
		t.Fatalf("keygen: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// sign signs files with K/NAME.key.
func (s trustSetup) sign(t *testing.T, name string, files ...string) {
	t.Helper()
	args := append([]string{"sign", "--key", filepath.Join(s.K, name+".key")}, files...)
	if r := logplug(t, "", args...); r.code != 0 {
		t.Fatalf("sign: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// pin writes K/pins for the plugins of D.
func (s trustSetup) pin(t *testing.T) {
	t.Helper()
	if r := logplug(t, "", "pin", "--plugins", s.D, "-o", filepath.Join(s.K, "pins")); r.code != 0 {
		t.Fatalf("pin: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestTrustRefusalsAndOverrides covers each refusal and each override: the
// exact line logplug prints, and that stdoutjson, the other plugin, still
// loads and gets the message.
func TestTrustRefusalsAndOverrides(t *testing.T) {
	isRoot := os.Geteuid() == 0
	tests := []struct {
		name string
		// setup changes the files and returns the flags to add to
		// `logplug emit --plugins D`.
		setup    func(t *testing.T, s trustSetup) []string
		needRoot bool
		// stderr is all logplug prints on standard error, with {D}, {E}
		// and {K} for the folders.
		stderr string
		// articleLoads says whether article.so loads and prints.
		articleLoads bool
	}{
		{name: "safe files load",
			setup:        func(t *testing.T, s trustSetup) []string { return nil },
			articleLoads: true},
		{name: "file writable by group",
			setup:  func(t *testing.T, s trustSetup) []string { chmod(t, s.D+"/article.so", 0o664); return nil },
			stderr: "logplug: {D}/article.so: refused: file {D}/article.so is writable by group (mode 0664); fix: chmod g-w {D}/article.so (or --insecure-permissions)\n"},
		{name: "file writable by others",
			setup:  func(t *testing.T, s trustSetup) []string { chmod(t, s.D+"/article.so", 0o646); return nil },
			stderr: "logplug: {D}/article.so: refused: file {D}/article.so is writable by others (mode 0646); fix: chmod o-w {D}/article.so (or --insecure-permissions)\n"},
		{name: "file writable by group, --insecure-permissions",
			setup: func(t *testing.T, s trustSetup) []string {
				chmod(t, s.D+"/article.so", 0o664)
				return []string{"--insecure-permissions"}
			},
			stderr:       "logplug: {D}/article.so: warning: file {D}/article.so is writable by group (mode 0664); loading it anyway (--insecure-permissions); fix: chmod g-w {D}/article.so\n",
			articleLoads: true},
		// A folder's problem refuses every plugin in it, so article.so is
		// in E here and stdoutjson in D.
		{name: "folder writable by group",
			setup: func(t *testing.T, s trustSetup) []string {
				s.moveArticle(t)
				chmod(t, s.E, 0o775)
				return []string{"--plugin", s.E + "/article.so"}
			},
			stderr: "logplug: {E}/article.so: refused: folder {E} is writable by group (mode 0775); fix: chmod g-w {E} (or --insecure-permissions)\n"},
		{name: "folder writable by all, no sticky bit",
			setup: func(t *testing.T, s trustSetup) []string {
				s.moveArticle(t)
				chmod(t, s.E, 0o777)
				return []string{"--plugin", s.E + "/article.so"}
			},
			stderr: "logplug: {E}/article.so: refused: folder {E} is writable by group and others (mode 0777); fix: chmod go-w {E} (or --insecure-permissions)\n"},
		{name: "folder writable by all, --insecure-permissions",
			setup: func(t *testing.T, s trustSetup) []string {
				s.moveArticle(t)
				chmod(t, s.E, 0o777)
				return []string{"--plugin", s.E + "/article.so", "--insecure-permissions"}
			},
			stderr:       "logplug: {E}/article.so: warning: folder {E} is writable by group and others (mode 0777); loading it anyway (--insecure-permissions); fix: chmod go-w {E}\n",
			articleLoads: true},
		{name: "sticky world-writable folder, like /tmp",
			setup: func(t *testing.T, s trustSetup) []string {
				s.moveArticle(t)
				chmod(t, s.E, 0o1777)
				return []string{"--plugin", s.E + "/article.so"}
			},
			articleLoads: true},
		{name: "file owned by another user", needRoot: true,
			setup: func(t *testing.T, s trustSetup) []string {
				mustDo(t, os.Chown(s.D+"/article.so", otherUID, -1))
				return nil
			},
			stderr: "logplug: {D}/article.so: refused: file {D}/article.so is owned by uid 12345, not by root or the host's user (uid 0); fix: chown root {D}/article.so (or --insecure-permissions)\n"},
		{name: "file owned by another user, --insecure-permissions", needRoot: true,
			setup: func(t *testing.T, s trustSetup) []string {
				mustDo(t, os.Chown(s.D+"/article.so", otherUID, -1))
				return []string{"--insecure-permissions"}
			},
			stderr:       "logplug: {D}/article.so: warning: file {D}/article.so is owned by uid 12345, not by root or the host's user (uid 0); loading it anyway (--insecure-permissions); fix: chown root {D}/article.so\n",
			articleLoads: true},
		{name: "folder owned by another user", needRoot: true,
			setup: func(t *testing.T, s trustSetup) []string {
				s.moveArticle(t)
				mustDo(t, os.Chown(s.E, otherUID, -1))
				return []string{"--plugin", s.E + "/article.so"}
			},
			stderr: "logplug: {E}/article.so: refused: folder {E} is owned by uid 12345, not by root or the host's user (uid 0); fix: chown root {E} (or --insecure-permissions)\n"},
		{name: "folder owned by another user, --insecure-permissions", needRoot: true,
			setup: func(t *testing.T, s trustSetup) []string {
				s.moveArticle(t)
				mustDo(t, os.Chown(s.E, otherUID, -1))
				return []string{"--plugin", s.E + "/article.so", "--insecure-permissions"}
			},
			stderr:       "logplug: {E}/article.so: warning: folder {E} is owned by uid 12345, not by root or the host's user (uid 0); loading it anyway (--insecure-permissions); fix: chown root {E}\n",
			articleLoads: true},
		{name: "symlink to a file outside the folder",
			setup: func(t *testing.T, s trustSetup) []string {
				s.moveArticle(t)
				mustDo(t, os.Symlink(s.E+"/article.so", s.D+"/article.so"))
				return nil
			},
			stderr: "logplug: {D}/article.so: refused: symlink to {E}/article.so, outside the plugin folder {D}; fix: copy the file into {D} (or --follow-symlinks)\n"},
		{name: "symlink to a file outside the folder, --follow-symlinks",
			setup: func(t *testing.T, s trustSetup) []string {
				s.moveArticle(t)
				mustDo(t, os.Symlink(s.E+"/article.so", s.D+"/article.so"))
				return []string{"--follow-symlinks"}
			},
			articleLoads: true},
		{name: "followed symlink into an unsafe folder",
			setup: func(t *testing.T, s trustSetup) []string {
				s.moveArticle(t)
				chmod(t, s.E, 0o777)
				mustDo(t, os.Symlink(s.E+"/article.so", s.D+"/article.so"))
				return []string{"--follow-symlinks"}
			},
			stderr: "logplug: {D}/article.so: refused: folder {E} is writable by group and others (mode 0777); fix: chmod go-w {E} (or --insecure-permissions)\n"},
		{name: "symlink within the folder",
			setup: func(t *testing.T, s trustSetup) []string {
				mustDo(t, os.Mkdir(s.D+"/versions", 0o755))
				mustDo(t, os.Rename(s.D+"/article.so", s.D+"/versions/article-1.0.so"))
				mustDo(t, os.Symlink("versions/article-1.0.so", s.D+"/article.so"))
				return nil
			},
			articleLoads: true},
		{name: "pinned",
			setup:        func(t *testing.T, s trustSetup) []string { s.pin(t); return []string{"--pins", s.K + "/pins"} },
			articleLoads: true},
		{name: "pinned by sha256sum --tag",
			setup: func(t *testing.T, s trustSetup) []string {
				if _, err := exec.LookPath("sha256sum"); err != nil {
					t.Skip("no sha256sum (GNU coreutils) on this system")
				}
				cmd := exec.Command("sha256sum", "--tag", "article.so", "./stdoutjson.so")
				cmd.Dir = s.D
				out, err := cmd.Output()
				mustDo(t, err)
				mustDo(t, os.WriteFile(s.K+"/pins", out, 0o644))
				return []string{"--pins", s.K + "/pins"}
			},
			articleLoads: true},
		{name: "SHA-256 mismatch",
			setup: func(t *testing.T, s trustSetup) []string {
				s.pin(t)
				pins, err := os.ReadFile(s.K + "/pins")
				mustDo(t, err)
				// Pin article.so to the digest of stdoutjson.so.
				lines := strings.Split(strings.TrimSpace(string(pins)), "\n")
				if len(lines) != 2 || !strings.HasSuffix(lines[0], "  article.so") {
					t.Fatalf("pins:\n%s", pins)
				}
				lines[0] = lines[1][:64] + "  article.so"
				mustDo(t, os.WriteFile(s.K+"/pins", []byte(strings.Join(lines, "\n")+"\n"), 0o644))
				return []string{"--pins", s.K + "/pins"}
			},
			stderr: "logplug: {D}/article.so: refused: SHA-256 mismatch: want {stdoutjson} (from {K}/pins), have {article}; fix: put back the file that was pinned, or, if you trust the new one, pin it again (logplug pin)\n"},
		{name: "not pinned",
			setup: func(t *testing.T, s trustSetup) []string {
				s.pin(t)
				pins, err := os.ReadFile(s.K + "/pins")
				mustDo(t, err)
				_, rest, _ := strings.Cut(string(pins), "\n") // drop article.so's line
				mustDo(t, os.WriteFile(s.K+"/pins", []byte(rest), 0o644))
				return []string{"--pins", s.K + "/pins"}
			},
			stderr: "logplug: {D}/article.so: refused: not pinned: {K}/pins has no line for article.so (have {article}); fix: if you trust the file, add the line \"{article}  article.so\" to {K}/pins (logplug pin prints it); else remove the file\n"},
		{name: "signed",
			setup: func(t *testing.T, s trustSetup) []string {
				s.keygen(t, "ops")
				s.sign(t, "ops", s.D+"/stdoutjson.so", s.D+"/article.so")
				return []string{"--trust", s.K + "/ops.pub"}
			},
			articleLoads: true},
		{name: "not signed",
			setup: func(t *testing.T, s trustSetup) []string {
				s.keygen(t, "ops")
				s.sign(t, "ops", s.D+"/stdoutjson.so")
				return []string{"--trust", s.K + "/ops.pub"}
			},
			stderr: "logplug: {D}/article.so: refused: not signed: no signature file {D}/article.so.sig; fix: sign it with a trusted key: logplug sign --key KEY {D}/article.so\n"},
		{name: "signed by an untrusted key",
			setup: func(t *testing.T, s trustSetup) []string {
				s.keygen(t, "ops")
				s.keygen(t, "mallory")
				s.sign(t, "ops", s.D+"/stdoutjson.so")
				s.sign(t, "mallory", s.D+"/article.so")
				return []string{"--trust", s.K + "/ops.pub"}
			},
			stderr: "logplug: {D}/article.so: refused: {D}/article.so.sig is not a signature of this file (sha256 {article}) by any of the 1 trusted keys; fix: if you trust the file, sign it with a trusted key: logplug sign --key KEY {D}/article.so; else remove it\n"},
		{name: "file changed after signing",
			setup: func(t *testing.T, s trustSetup) []string {
				s.keygen(t, "ops")
				copyFile(t, referencePlugin("stdoutjson"), s.D+"/article.so")
				s.sign(t, "ops", s.D+"/stdoutjson.so", s.D+"/article.so")
				copyFile(t, fixture("article"), s.D+"/article.so")
				return []string{"--trust", s.K + "/ops.pub"}
			},
			stderr: "logplug: {D}/article.so: refused: {D}/article.so.sig is not a signature of this file (sha256 {article}) by any of the 1 trusted keys; fix: if you trust the file, sign it with a trusted key: logplug sign --key KEY {D}/article.so; else remove it\n"},
		{name: "signed by the second of two trusted keys",
			setup: func(t *testing.T, s trustSetup) []string {
				s.keygen(t, "ops")
				s.keygen(t, "vendor")
				s.sign(t, "ops", s.D+"/stdoutjson.so")
				s.sign(t, "vendor", s.D+"/article.so")
				return []string{"--trust", s.K + "/ops.pub", "--trust", s.K + "/vendor.pub"}
			},
			articleLoads: true},
		{name: "pinned and signed",
			setup: func(t *testing.T, s trustSetup) []string {
				s.pin(t)
				s.keygen(t, "ops")
				s.sign(t, "ops", s.D+"/stdoutjson.so", s.D+"/article.so")
				return []string{"--pins", s.K + "/pins", "--trust", s.K + "/ops.pub"}
			},
			articleLoads: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needRoot && !isRoot {
				t.Skip("needs root: only root can give a file to another user (chown); TestTrustAsAnotherUser covers a host that is not root")
			}
			s := newTrustSetup(t)
			extra := tt.setup(t, s)
			args := append([]string{"emit", "--plugins", s.D}, extra...)
			r := logplug(t, "", append(args, "hello")...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			wantStderr := strings.NewReplacer("{stdoutjson}", sha256Of(t, referencePlugin("stdoutjson")),
				"{article}", sha256Of(t, fixture("article"))).Replace(s.expand(tt.stderr))
			if r.stderr != wantStderr {
				t.Errorf("stderr:\n got %q\nwant %q", r.stderr, wantStderr)
			}
			want := []string{stdoutjsonHello}
			if tt.articleLoads {
				want = append(want, articleHello)
			}
			got := strings.Split(strings.TrimSpace(r.stdout), "\n")
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("stdout lines %q, want %q", got, want)
			}
		})
	}
}

// TestTrustFilesMustBeSafe: whoever could change the pins file or a
// trusted key could choose the plugins, so those files are checked too.
func TestTrustFilesMustBeSafe(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T, s trustSetup) []string
		code   int
		stderr string
	}{
		{"pins file writable by others", func(t *testing.T, s trustSetup) []string {
			s.pin(t)
			chmod(t, s.K+"/pins", 0o666)
			return []string{"--pins", s.K + "/pins"}
		}, 1, "logplug emit: pins file {K}/pins: refused: file {K}/pins is writable by group and others (mode 0666); fix: chmod go-w {K}/pins (or --insecure-permissions)\n"},
		{"pins file writable by others, --insecure-permissions", func(t *testing.T, s trustSetup) []string {
			s.pin(t)
			chmod(t, s.K+"/pins", 0o666)
			return []string{"--pins", s.K + "/pins", "--insecure-permissions"}
		}, 0, "logplug: pins file {K}/pins: warning: file {K}/pins is writable by group and others (mode 0666); used anyway (--insecure-permissions); fix: chmod go-w {K}/pins\n"},
		{"public key in a group-writable folder", func(t *testing.T, s trustSetup) []string {
			s.keygen(t, "ops")
			chmod(t, s.K, 0o775)
			return []string{"--trust", s.K + "/ops.pub"}
		}, 1, "logplug emit: public key {K}/ops.pub: refused: folder {K} is writable by group (mode 0775); fix: chmod g-w {K} (or --insecure-permissions)\n"},
		{"pins file missing", func(t *testing.T, s trustSetup) []string {
			return []string{"--pins", s.K + "/nope"}
		}, 1, "logplug emit: pins file: open {K}/nope: no such file or directory\n"},
		{"private key given to --trust", func(t *testing.T, s trustSetup) []string {
			s.keygen(t, "ops")
			return []string{"--trust", s.K + "/ops.key"}
		}, 1, "logplug emit: public key {K}/ops.key: this is a private key (logplug-ed25519-private), not a public key\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTrustSetup(t)
			mustDo(t, os.Remove(s.D+"/article.so"))
			args := append([]string{"emit", "--plugins", s.D}, tt.setup(t, s)...)
			r := logplug(t, "", append(args, "hello")...)
			if r.code != tt.code || r.stderr != s.expand(tt.stderr) {
				t.Errorf("exit %d, stderr %q\nwant exit %d, stderr %q", r.code, r.stderr, tt.code, s.expand(tt.stderr))
			}
			if wantOut := map[bool]string{true: stdoutjsonHello + "\n", false: ""}[tt.code == 0]; r.stdout != wantOut {
				t.Errorf("stdout %q, want %q", r.stdout, wantOut)
			}
		})
	}
}

// TestSwapBetweenCheckAndLoad replaces the pinned plugin's bytes with
// another plugin's, over and over, while logplug loads it with --pins: the
// other plugin's code must never run. Each run either loads the pinned
// bytes or refuses the file with a SHA-256 mismatch.
func TestSwapBetweenCheckAndLoad(t *testing.T) {
	s := newTrustSetup(t)
	mustDo(t, os.Remove(s.D+"/article.so"))
	s.pin(t)
	good, err := os.ReadFile(referencePlugin("stdoutjson"))
	mustDo(t, err)
	bad, err := os.ReadFile(fixture("altered"))
	mustDo(t, err)
	target := s.D + "/stdoutjson.so"

	// Control: with the altered bytes in place, a host without pins runs
	// them (so the marker would be seen), and one with pins refuses them.
	mustDo(t, os.WriteFile(target, bad, 0o755))
	if r := logplug(t, "hello\n", "run", "--plugins", s.D); !strings.Contains(r.stdout, "ALTERED") {
		t.Fatalf("control: the altered plugin did not print its marker: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := logplug(t, "hello\n", "run", "--plugins", s.D, "--pins", s.K+"/pins"); r.code != 1 || !strings.Contains(r.stderr, "refused: SHA-256 mismatch") {
		t.Fatalf("control: pins did not refuse the altered plugin: exit %d, stderr %q", r.code, r.stderr)
	}
	mustDo(t, os.WriteFile(target, good, 0o755))

	// The swapper alternates the two plugins' bytes, rewriting the file in
	// place and replacing it by rename, as fast as it can.
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var swaps int
	wg.Add(1)
	go func() {
		defer wg.Done()
		tmp := s.D + "/.swap"
		for i := 0; ctx.Err() == nil; i++ {
			content := [][]byte{bad, good}[i%2]
			if i%4 < 2 {
				os.WriteFile(target, content, 0o755) // truncate and write in place
			} else if os.WriteFile(tmp, content, 0o755) == nil {
				os.Rename(tmp, target)
			}
			swaps++
		}
	}()

	const runs = 20
	loaded, refused, unreadable := 0, 0, 0
	for i := range runs {
		r := logplug(t, "hello\n", "run", "--plugins", s.D, "--pins", s.K+"/pins")
		if strings.Contains(r.stdout+r.stderr, "ALTERED") {
			t.Errorf("run %d: the altered plugin's code ran: stdout %q", i, r.stdout)
		}
		switch {
		case r.code == 0 && r.stdout == stdoutjsonHello+"\n":
			loaded++
		case r.code == 1 && r.stdout == "" && strings.Contains(r.stderr, target+": refused: SHA-256 mismatch: want "):
			refused++
		case r.code == 1 && r.stdout == "" && strings.HasPrefix(r.stderr, "logplug: "+target+": is ") && strings.Contains(r.stderr, "no plugin loaded"):
			// The checks that explain a file before it is opened read it
			// while it was half written (empty, truncated): refused too.
			refused++
			unreadable++
		default:
			t.Errorf("run %d: neither loaded nor refused: exit %d, stdout %q, stderr %q", i, r.code, r.stdout, clip(r.stderr))
		}
	}
	stop()
	wg.Wait()
	t.Logf("%d runs while the file changed %d times: %d loaded the pinned plugin, %d refused the file (%d of them caught half written)", runs, swaps, loaded, refused, unreadable)
	if refused == 0 {
		t.Errorf("no run saw a changed file, so the swap was not tested (%d swaps)", swaps)
	}
}

// clip shortens text for a message (a crash's stack trace is long).
func clip(text string) string {
	const max = 400
	if len(text) > max {
		return text[:max] + "..."
	}
	return text
}

// TestTrustAsAnotherUser runs the host as a user who is not root: files of
// that user and of root load, a third user's file is refused.
func TestTrustAsAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run logplug as another user (uid 12345)")
	}
	base, err := os.MkdirTemp("", "logplug-user-")
	mustDo(t, err)
	t.Cleanup(func() { os.RemoveAll(base) })
	base, err = filepath.EvalSymlinks(base)
	mustDo(t, err)
	chmod(t, base, 0o755)
	d := filepath.Join(base, "plugins")
	mustDo(t, os.Mkdir(d, 0o755))
	copyFile(t, referencePlugin("stdoutjson"), d+"/stdoutjson.so")
	copyFile(t, fixture("article"), d+"/article.so")
	mustDo(t, os.Chown(d, otherUID, otherUID))
	mustDo(t, os.Chown(d+"/stdoutjson.so", otherUID, otherUID)) // the host's user's; article.so stays root's

	run := func() result {
		cmd := exec.Command(logplugBin, "emit", "--plugins", d, "hello")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: otherUID, Gid: otherUID}}
		cmd.Env = append(os.Environ(), "LOGPLUG_PLUGINS=")
		return runCmd(t, cmd, "")
	}
	// Each plugin writes from its own goroutine, so the two lines may come
	// in either order.
	lines := func(out string) string {
		l := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		slices.Sort(l)
		return strings.Join(l, "\n")
	}
	if r := run(); r.code != 0 || r.stderr != "" || lines(r.stdout) != lines(articleHello+"\n"+stdoutjsonHello+"\n") {
		t.Fatalf("root's and the user's plugins: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	mustDo(t, os.Chown(d+"/article.so", otherUID+1, -1))
	want := fmt.Sprintf("logplug: %[1]s/article.so: refused: file %[1]s/article.so is owned by uid %[2]d, not by root or the host's user (uid %[3]d); fix: chown root %[1]s/article.so (or --insecure-permissions)\n", d, otherUID+1, otherUID)
	if r := run(); r.code != 0 || r.stderr != want || r.stdout != stdoutjsonHello+"\n" {
		t.Errorf("a third user's plugin: exit %d, stdout %q, stderr %q\nwant stderr %q", r.code, r.stdout, r.stderr, want)
	}
}

// TestPinKeygenSign checks the commands' files and refusals.
func TestPinKeygenSign(t *testing.T) {
	s := newTrustSetup(t)
	// pin writes sha256sum's format to standard output, in name order.
	r := logplug(t, "", "pin", "--plugins", s.D)
	want := sha256Of(t, fixture("article")) + "  article.so\n" + sha256Of(t, referencePlugin("stdoutjson")) + "  stdoutjson.so\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("pin: exit %d, stdout %q, want %q; stderr %q", r.code, r.stdout, want, r.stderr)
	}
	if sum, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(sum, "--check", "--strict", "-")
		cmd.Dir, cmd.Stdin = s.D, strings.NewReader(r.stdout)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c does not accept pin's output: %v\n%s", err, out)
		}
	}
	if r := logplug(t, "", "pin", "--plugins", s.E); r.code != 1 || r.stderr != s.expand("logplug pin: no plugins: {E} holds no .so file\n") {
		t.Errorf("pin of an empty folder: exit %d, stderr %q", r.code, r.stderr)
	}

	// keygen makes a private key only its owner can read, and never
	// overwrites.
	s.keygen(t, "ops")
	for name, mode := range map[string]os.FileMode{"ops.key": 0o600, "ops.pub": 0o644} {
		info, err := os.Stat(filepath.Join(s.K, name))
		if err != nil || info.Mode().Perm() != mode {
			t.Errorf("%s: mode %v (%v), want %v", name, info.Mode().Perm(), err, mode)
		}
	}
	pub, err := os.ReadFile(s.K + "/ops.pub")
	mustDo(t, err)
	if !strings.HasPrefix(string(pub), "logplug-ed25519-public ") || !strings.HasSuffix(string(pub), " ops\n") {
		t.Errorf("ops.pub = %q", pub)
	}
	if r := logplug(t, "", "keygen", "-o", s.K+"/ops"); r.code != 1 || r.stderr != s.expand("logplug keygen: {K}/ops.key exists; fix: choose another -o NAME, or remove it\n") {
		t.Errorf("keygen over existing keys: exit %d, stderr %q", r.code, r.stderr)
	}

	// sign writes FILE.sig and refuses a key others can read.
	r = logplug(t, "", "sign", "--key", s.K+"/ops.key", s.D+"/article.so")
	if want := s.expand("signed {D}/article.so (sha256 " + sha256Of(t, fixture("article")) + "): {D}/article.so.sig\n"); r.code != 0 || r.stdout != want {
		t.Errorf("sign: exit %d, stdout %q, want %q; stderr %q", r.code, r.stdout, want, r.stderr)
	}
	sig, err := os.ReadFile(s.D + "/article.so.sig")
	mustDo(t, err)
	if !strings.HasPrefix(string(sig), "logplug-ed25519-signature ") || !strings.HasSuffix(string(sig), " article.so\n") {
		t.Errorf("article.so.sig = %q", sig)
	}
	chmod(t, s.K+"/ops.key", 0o640)
	if r := logplug(t, "", "sign", "--key", s.K+"/ops.key", s.D+"/article.so"); r.code != 1 || r.stderr != s.expand("logplug sign: private key {K}/ops.key may be read by group or others (mode 0640); fix: chmod 600 {K}/ops.key\n") {
		t.Errorf("sign with a readable key: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := logplug(t, "", "sign", s.D+"/article.so"); r.code != 2 || !strings.Contains(r.stderr, "no --key given") {
		t.Errorf("sign without --key: exit %d, stderr %q", r.code, r.stderr)
	}
}

// sha256Of returns the SHA-256 of a file in hex.
func sha256Of(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
