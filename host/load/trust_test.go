package load

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logplug/logplug/host/trust"
)

// The files in these tests are not plugins. A file the trust step lets through
// reaches the checks of package plugincheck, which explain it with this
// cause: that is how the tests see that it was let through. A refused file
// is never read.
const reachedOpen = `is not an ELF or Mach-O file: it starts with "junk"; fix: replace it with a plugin built with go build -buildmode=plugin, or remove it from the plugin folder`

// commandHints are the words of the logplug command, which the messages
// below were first written in.
var commandHints = Hints{
	InsecurePermissions: "--insecure-permissions",
	FollowSymlinks:      "--follow-symlinks",
	Pin:                 "logplug pin",
	Sign:                func(path string) string { return "sign it with a trusted key: logplug sign --key KEY " + path },
}

func TestTrust(t *testing.T) {
	signer := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	stranger := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, ed25519.SeedSize))
	trusted := []ed25519.PublicKey{signer.Public().(ed25519.PublicKey)}
	junkDigest := digestOf([]byte("junk"))
	const otherUID = 12345

	tests := []struct {
		name string
		// setup prepares the folder D, which holds p/junk.so (mode 0644,
		// holding "junk"), and returns the options and the plugin's path.
		setup    func(t *testing.T, d string, opts *Options) string
		needRoot bool
		want     string // the plugin's error, with D for the folder and {H} for the digest of "junk"
		wantLog  string // a line of the error log besides the error, if any
	}{
		{name: "safe file is opened", want: "D/p/junk.so: " + reachedOpen,
			setup: func(t *testing.T, d string, opts *Options) string { return d + "/p/junk.so" }},
		{name: "file writable by group",
			want: "D/p/junk.so: refused: file D/p/junk.so is writable by group (mode 0664); fix: chmod g-w D/p/junk.so (or --insecure-permissions)",
			setup: func(t *testing.T, d string, opts *Options) string {
				chmod(t, d+"/p/junk.so", 0o664)
				return d + "/p/junk.so"
			}},
		{name: "folder writable by all",
			want:  "D/p/junk.so: refused: folder D/p is writable by group and others (mode 0777); fix: chmod go-w D/p (or --insecure-permissions)",
			setup: func(t *testing.T, d string, opts *Options) string { chmod(t, d+"/p", 0o777); return d + "/p/junk.so" }},
		{name: "sticky folder", want: "D/p/junk.so: " + reachedOpen,
			setup: func(t *testing.T, d string, opts *Options) string { chmod(t, d+"/p", 0o1777); return d + "/p/junk.so" }},
		{name: "insecure permissions: warned and opened", want: "D/p/junk.so: " + reachedOpen,
			wantLog: "D/p/junk.so: warning: folder D/p is writable by group and others (mode 0777); loading it anyway (--insecure-permissions); fix: chmod go-w D/p",
			setup: func(t *testing.T, d string, opts *Options) string {
				chmod(t, d+"/p", 0o777)
				opts.InsecurePermissions = true
				return d + "/p/junk.so"
			}},
		{name: "file owned by another user", needRoot: true,
			want: "D/p/junk.so: refused: file D/p/junk.so is owned by uid 12345, not by root or the host's user (uid 0); fix: chown root D/p/junk.so (or --insecure-permissions)",
			setup: func(t *testing.T, d string, opts *Options) string {
				must(t, os.Chown(d+"/p/junk.so", otherUID, -1))
				return d + "/p/junk.so"
			}},
		{name: "insecure permissions: another user's file", needRoot: true, want: "D/p/junk.so: " + reachedOpen,
			wantLog: "D/p/junk.so: warning: file D/p/junk.so is owned by uid 12345, not by root or the host's user (uid 0); loading it anyway (--insecure-permissions); fix: chown root D/p/junk.so",
			setup: func(t *testing.T, d string, opts *Options) string {
				must(t, os.Chown(d+"/p/junk.so", otherUID, -1))
				opts.InsecurePermissions = true
				return d + "/p/junk.so"
			}},
		{name: "symlink out of the folder",
			want:  "D/p/link.so: refused: symlink to D/other/junk.so, outside the plugin folder D/p; fix: copy the file into D/p (or --follow-symlinks)",
			setup: func(t *testing.T, d string, opts *Options) string { return linkOut(t, d) }},
		{name: "symlink out of the folder, followed", want: "D/p/link.so: " + reachedOpen,
			setup: func(t *testing.T, d string, opts *Options) string { opts.FollowSymlinks = true; return linkOut(t, d) }},
		{name: "followed symlink to an unsafe folder",
			want: "D/p/link.so: refused: folder D/other is writable by group and others (mode 0777); fix: chmod go-w D/other (or --insecure-permissions)",
			setup: func(t *testing.T, d string, opts *Options) string {
				opts.FollowSymlinks = true
				link := linkOut(t, d)
				chmod(t, d+"/other", 0o777)
				return link
			}},
		{name: "symlink within the folder", want: "D/p/link.so: " + reachedOpen,
			setup: func(t *testing.T, d string, opts *Options) string {
				must(t, os.Mkdir(d+"/p/versions", 0o755))
				must(t, os.Rename(d+"/p/junk.so", d+"/p/versions/junk-1.0.so"))
				must(t, os.Symlink("versions/junk-1.0.so", d+"/p/link.so"))
				return d + "/p/link.so"
			}},
		{name: "missing file", want: "D/p/nope.so: lstat D/p/nope.so: no such file or directory",
			setup: func(t *testing.T, d string, opts *Options) string { return d + "/p/nope.so" }},
		{name: "pinned", want: "D/p/junk.so: " + reachedOpen,
			setup: func(t *testing.T, d string, opts *Options) string {
				opts.Pins = trust.NewPins("pins.txt", trust.Pin{Name: "junk.so", Digest: junkDigest})
				return d + "/p/junk.so"
			}},
		{name: "pinned by absolute name", want: "D/p/junk.so: " + reachedOpen,
			setup: func(t *testing.T, d string, opts *Options) string {
				opts.Pins = trust.NewPins("pins.txt", trust.Pin{Name: d + "/p/junk.so", Digest: junkDigest})
				return d + "/p/junk.so"
			}},
		{name: "pinned outside the folder", want: "D/other/junk.so: " + reachedOpen,
			setup: func(t *testing.T, d string, opts *Options) string {
				must(t, os.Mkdir(d+"/other", 0o755))
				must(t, os.Rename(d+"/p/junk.so", d+"/other/junk.so"))
				opts.Pins = trust.NewPins("pins.txt", trust.Pin{Name: "../other/junk.so", Digest: junkDigest})
				return d + "/other/junk.so"
			}},
		{name: "not pinned",
			want: `D/p/junk.so: refused: not pinned: pins.txt has no line for junk.so (have {H}); fix: if you trust the file, add the line "{H}  junk.so" to pins.txt (logplug pin prints it); else remove the file`,
			setup: func(t *testing.T, d string, opts *Options) string {
				opts.Pins = trust.NewPins("pins.txt", trust.Pin{Name: "other.so", Digest: junkDigest})
				return d + "/p/junk.so"
			}},
		{name: "pin mismatch",
			want: "D/p/junk.so: refused: SHA-256 mismatch: want " + digestOf([]byte("good")).String() + " (from pins.txt), have {H}; fix: put back the file that was pinned, or, if you trust the new one, pin it again (logplug pin)",
			setup: func(t *testing.T, d string, opts *Options) string {
				opts.Pins = trust.NewPins("pins.txt", trust.Pin{Name: "junk.so", Digest: digestOf([]byte("good"))})
				return d + "/p/junk.so"
			}},
		{name: "signed", want: "D/p/junk.so: " + reachedOpen,
			setup: func(t *testing.T, d string, opts *Options) string {
				opts.TrustedKeys = trusted
				writeSig(t, d+"/p/junk.so.sig", trust.Sign(signer, junkDigest))
				return d + "/p/junk.so"
			}},
		{name: "signed by the second trusted key", want: "D/p/junk.so: " + reachedOpen,
			setup: func(t *testing.T, d string, opts *Options) string {
				opts.TrustedKeys = []ed25519.PublicKey{stranger.Public().(ed25519.PublicKey), trusted[0]}
				writeSig(t, d+"/p/junk.so.sig", trust.Sign(signer, junkDigest))
				return d + "/p/junk.so"
			}},
		{name: "not signed",
			want: "D/p/junk.so: refused: not signed: no signature file D/p/junk.so.sig; fix: sign it with a trusted key: logplug sign --key KEY D/p/junk.so",
			setup: func(t *testing.T, d string, opts *Options) string {
				opts.TrustedKeys = trusted
				return d + "/p/junk.so"
			}},
		{name: "signed by an untrusted key",
			want: "D/p/junk.so: refused: D/p/junk.so.sig is not a signature of this file (sha256 {H}) by any of the 1 trusted keys; fix: if you trust the file, sign it with a trusted key: logplug sign --key KEY D/p/junk.so; else remove it",
			setup: func(t *testing.T, d string, opts *Options) string {
				opts.TrustedKeys = trusted
				writeSig(t, d+"/p/junk.so.sig", trust.Sign(stranger, junkDigest))
				return d + "/p/junk.so"
			}},
		{name: "signature of other bytes",
			want: "D/p/junk.so: refused: D/p/junk.so.sig is not a signature of this file (sha256 {H}) by any of the 1 trusted keys; fix: if you trust the file, sign it with a trusted key: logplug sign --key KEY D/p/junk.so; else remove it",
			setup: func(t *testing.T, d string, opts *Options) string {
				opts.TrustedKeys = trusted
				writeSig(t, d+"/p/junk.so.sig", trust.Sign(signer, digestOf([]byte("good"))))
				return d + "/p/junk.so"
			}},
		{name: "malformed signature file",
			want: "D/p/junk.so: refused: signature file D/p/junk.so.sig: empty; want one line \"logplug-ed25519-signature BASE64\"; fix: sign it with a trusted key: logplug sign --key KEY D/p/junk.so",
			setup: func(t *testing.T, d string, opts *Options) string {
				opts.TrustedKeys = trusted
				must(t, os.WriteFile(d+"/p/junk.so.sig", nil, 0o644))
				return d + "/p/junk.so"
			}},
		{name: "pinned and signed", want: "D/p/junk.so: " + reachedOpen,
			setup: func(t *testing.T, d string, opts *Options) string {
				opts.Pins = trust.NewPins("pins.txt", trust.Pin{Name: "junk.so", Digest: junkDigest})
				opts.TrustedKeys = trusted
				writeSig(t, d+"/p/junk.so.sig", trust.Sign(signer, junkDigest))
				return d + "/p/junk.so"
			}},
		{name: "pinned but not signed",
			want: "D/p/junk.so: refused: not signed: no signature file D/p/junk.so.sig; fix: sign it with a trusted key: logplug sign --key KEY D/p/junk.so",
			setup: func(t *testing.T, d string, opts *Options) string {
				opts.Pins = trust.NewPins("pins.txt", trust.Pin{Name: "junk.so", Digest: junkDigest})
				opts.TrustedKeys = trusted
				return d + "/p/junk.so"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needRoot && os.Geteuid() != 0 {
				t.Skip("needs root: only root can give a file to another user (os.Chown)")
			}
			d := privateDir(t)
			must(t, os.Chmod(d, 0o755))
			must(t, os.Mkdir(d+"/p", 0o755))
			must(t, os.WriteFile(d+"/p/junk.so", []byte("junk"), 0o644))
			chmod(t, d+"/p/junk.so", 0o644)
			private := privateDir(t)
			t.Setenv("TMPDIR", private)

			var logBuf bytes.Buffer
			opts := Options{Dir: d + "/p", Warnings: log.New(&logBuf, "", 0), Hints: commandHints}
			path := tt.setup(t, d, &opts)
			c := NewIn(NewRegistry(nil), opts).Load([]string{path})[0]
			if c.Err == nil {
				t.Fatalf("no failure reported for %s: %+v", path, c)
			}
			expand := strings.NewReplacer("D/", d+"/", "{H}", junkDigest.String()).Replace
			if want := expand(tt.want); c.Err.Error() != want {
				t.Errorf("error:\n got %s\nwant %s", c.Err, want)
			}
			if _, ok := c.Err.(*Error); !ok {
				t.Errorf("error is a %T, want an *Error", c.Err)
			}
			wantLog := ""
			if tt.wantLog != "" {
				wantLog = expand(tt.wantLog) + "\n"
			}
			if got := logBuf.String(); got != wantLog {
				t.Errorf("warnings:\n%s\nwant\n%s", got, wantLog)
			}
			if left, _ := os.ReadDir(private); len(left) != 0 {
				t.Errorf("%d private copies left in TMPDIR", len(left))
			}
		})
	}
}

func TestTrustRefusesAnUnsafePrivateFolder(t *testing.T) {
	d := privateDir(t)
	must(t, os.WriteFile(d+"/junk.so", []byte("junk"), 0o644))
	unsafe := filepath.Join(d, "tmp")
	must(t, os.Mkdir(unsafe, 0o700))
	chmod(t, unsafe, 0o777)
	t.Setenv("TMPDIR", unsafe)
	c := NewIn(NewRegistry(nil), Options{Dir: d, Hints: commandHints,
		Pins: trust.NewPins("pins", trust.Pin{Name: "junk.so", Digest: digestOf([]byte("junk"))})}).Load([]string{d + "/junk.so"})[0]
	want := fmt.Sprintf("%s/junk.so: refused: private copy: folder %s is writable by group and others (mode 0777); fix: set TMPDIR to a folder that only root and you can write (or --insecure-permissions)", d, unsafe)
	if got := c.Err; got == nil || got.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", got, want)
	}
}

// privateDir returns a new temporary folder, as a real path, with mode
// 0700 whatever the umask (t.TempDir's folders are group-writable under a
// umask of 002, and the trust step refuses what lies in them).
func privateDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	must(t, err)
	must(t, os.Chmod(d, 0o700))
	return d
}

// linkOut makes D/p/link.so a symlink to D/other/junk.so, outside the
// plugin folder D/p.
func linkOut(t *testing.T, d string) string {
	t.Helper()
	must(t, os.Mkdir(d+"/other", 0o755))
	must(t, os.Rename(d+"/p/junk.so", d+"/other/junk.so"))
	must(t, os.Remove(d+"/p"))
	must(t, os.Mkdir(d+"/p", 0o755))
	must(t, os.Symlink("../other/junk.so", d+"/p/link.so"))
	return d + "/p/link.so"
}

func digestOf(b []byte) trust.Digest { return trust.Digest(sha256.Sum256(b)) }

func writeSig(t *testing.T, name string, sig []byte) {
	t.Helper()
	must(t, os.WriteFile(name, trust.FormatSignature(sig, filepath.Base(name)), 0o644))
}

// chmod sets mode bits exactly, whatever the umask; 0o1000 is the sticky
// bit.
func chmod(t *testing.T, name string, mode os.FileMode) {
	t.Helper()
	perm := mode & os.ModePerm
	if mode&0o1000 != 0 {
		perm |= os.ModeSticky
	}
	must(t, os.Chmod(name, perm))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestHintsDefault checks that, unless told otherwise, the fixes name the
// library's own fields and functions, not the command's flags.
func TestHintsDefault(t *testing.T) {
	d := privateDir(t)
	must(t, os.Mkdir(d+"/p", 0o755))
	must(t, os.WriteFile(d+"/p/junk.so", []byte("junk"), 0o644))
	must(t, os.Mkdir(d+"/other", 0o755))
	must(t, os.WriteFile(d+"/other/out.so", []byte("junk"), 0o644))
	must(t, os.Symlink("../other/out.so", d+"/p/link.so"))
	t.Setenv("TMPDIR", privateDir(t))
	junk := digestOf([]byte("junk"))
	tests := []struct {
		name string
		opts Options
		path string
		want string
	}{
		{"permissions", Options{}, d + "/p/junk.so",
			"fix: chmod go-w " + d + "/p (or set Options.InsecurePermissions)"},
		{"symlink", Options{}, d + "/p/link.so",
			"fix: copy the file into " + d + "/p (or set Options.FollowSymlinks)"},
		{"not pinned", Options{Pins: trust.NewPins("pins.txt")}, d + "/p/junk.so",
			"to pins.txt (trust.WritePins prints it); else remove the file"},
		{"not signed", Options{TrustedKeys: []ed25519.PublicKey{make(ed25519.PublicKey, ed25519.PublicKeySize)}, Pins: trust.NewPins("pins.txt", trust.Pin{Name: "junk.so", Digest: junk})}, d + "/p/junk.so",
			"fix: sign it with a trusted key: write trust.FormatSignature(trust.Sign(key, digest), \"\") to " + d + "/p/junk.so.sig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "permissions" {
				chmod(t, d+"/p", 0o777)
				defer chmod(t, d+"/p", 0o755)
			}
			tt.opts.Dir = d + "/p"
			c := NewIn(NewRegistry(nil), tt.opts).Load([]string{tt.path})[0]
			if c.Err == nil || !strings.HasSuffix(c.Err.Error(), tt.want) {
				t.Errorf("error:\n got %v\nwant it to end with %s", c.Err, tt.want)
			}
		})
	}
}
