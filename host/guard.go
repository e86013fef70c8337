package host

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"

	"github.com/logplug/logplug/host/plugincheck"
	"github.com/logplug/logplug/host/trust"
)

// A guard makes the checks of [Options] on each plugin file before it is
// opened, and opens it. A refused file is never opened; its *LoadError says
// why, with the fix.
//
// The checks, in order:
//
//  1. Symlinks: a plugin that is a symlink to a file outside the folder
//     holding the symlink is refused, unless FollowSymlinks.
//  2. Permissions: [trust.Checker] walks the path as the kernel resolves it;
//     a file, folder or symlink on the way that someone other than root or
//     the host's user could change is refused, unless InsecurePermissions,
//     which warns instead. The real path the walk ends at is what is opened.
//  3. With Pins or TrustedKeys, the file is copied into a private folder,
//     hashed while it is copied, the digest of the copy checked against its
//     pin and its signature, and the copy opened: the bytes checked are the
//     bytes loaded, whatever happens to the file meanwhile. The copy is
//     removed once open (the mapped code stays valid).
//
// Checks 1 and 2 cost a few lstat calls per file; the copy, read and hash
// of check 3 are made only when pins or keys are in force.
type guard struct {
	insecure bool
	follow   bool
	pins     *trust.Pins
	keys     []ed25519.PublicKey
	base     string // the absolute folder pin names are relative to
	checker  *trust.Checker
	log      *log.Logger
}

func newGuard(opts Options, errorLog *log.Logger) *guard {
	base, err := filepath.Abs(opts.Dir) // "" is the current folder
	if err != nil {
		base = opts.Dir
	}
	return &guard{
		insecure: opts.InsecurePermissions,
		follow:   opts.FollowSymlinks,
		pins:     opts.Pins,
		keys:     opts.TrustedKeys,
		base:     base,
		checker:  trust.NewChecker(os.Geteuid()),
		log:      errorLog,
	}
}

// Override hints, appended to a fix.
const (
	insecureHint = " (or --insecure-permissions)"
	followHint   = " (or --follow-symlinks)"
)

// load checks the plugin file at path and loads it, or refuses it. r holds
// the results of package plugincheck's checks on it, which loadChecked
// acts on once the guard's own checks have passed.
func (g *guard) load(path string, r plugincheck.Result) (*Plugin, error) {
	if err := g.checkSymlink(path); err != nil {
		return nil, err
	}
	file, err := g.checkPermissions(path)
	if err != nil {
		return nil, err
	}
	if g.pins == nil && len(g.keys) == 0 {
		return loadChecked(path, file, r)
	}
	c, err := trust.PrivateCopy(file, "")
	if err != nil {
		return nil, &LoadError{Path: path, Err: fmt.Errorf("refused: %w", err)}
	}
	defer c.Remove()
	if _, err := g.checker.Check(c.Path); err != nil && !g.insecure {
		return nil, &LoadError{Path: path, Err: fmt.Errorf("refused: private copy: %w", err),
			Fix: "set TMPDIR to a folder that only root and you can write" + insecureHint}
	}
	if err := g.checkPin(path, c.Digest); err != nil {
		return nil, err
	}
	if err := g.checkSignature(path, c.Digest); err != nil {
		return nil, err
	}
	return loadChecked(path, c.Path, r)
}

// checkSymlink refuses a plugin that is a symlink to a file outside its
// folder, unless symlinks are followed.
func (g *guard) checkSymlink(path string) error {
	if g.follow {
		return nil
	}
	info, err := os.Lstat(path)
	if err != nil || info.Mode()&fs.ModeSymlink == 0 {
		return nil // a missing file is reported by the permission walk
	}
	target, err1 := realPathErr(path)
	folder, err2 := realPathErr(filepath.Dir(path))
	if err1 != nil || err2 != nil || trust.Within(folder, target) {
		return nil // a dangling symlink is reported by the permission walk
	}
	return &LoadError{Path: path,
		Err: fmt.Errorf("refused: symlink to %s, outside the plugin folder %s", target, folder),
		Fix: "copy the file into " + folder + followHint}
}

// checkPermissions runs the permission walk and returns the real path to
// open.
func (g *guard) checkPermissions(path string) (string, error) {
	file, err := g.checker.Check(path)
	var pe *trust.PermissionError
	switch {
	case err == nil:
		return file, nil
	case !errors.As(err, &pe):
		return "", &LoadError{Path: path, Err: err}
	case !g.insecure:
		return "", &LoadError{Path: path, Err: fmt.Errorf("refused: %w", pe), Fix: pe.Fix + insecureHint}
	}
	g.log.Printf("%s: warning: %v; loading it anyway (--insecure-permissions); fix: %s", path, pe, pe.Fix)
	if file, err = realPathErr(path); err != nil {
		return "", &LoadError{Path: path, Err: err}
	}
	return file, nil
}

// checkPin refuses a file whose digest d is not the one pinned for it, or
// that is not pinned.
func (g *guard) checkPin(path string, d trust.Digest) error {
	if g.pins == nil {
		return nil
	}
	source := g.pins.Source
	if source == "" {
		source = "the pins"
	}
	name := path
	if abs, err := filepath.Abs(path); err == nil {
		name = abs
		if rel, err := filepath.Rel(g.base, abs); err == nil {
			name = filepath.ToSlash(rel)
		}
	}
	want, ok := g.pins.Lookup(name)
	if !ok && name != path {
		want, ok = g.pins.Lookup(path)
	}
	if !ok {
		return &LoadError{Path: path,
			Err: fmt.Errorf("refused: not pinned: %s has no line for %s (have %s)", source, name, d),
			Fix: fmt.Sprintf("if you trust the file, add the line %q to %s (logplug pin prints it); else remove the file", d.String()+"  "+name, source)}
	}
	if want != d {
		return &LoadError{Path: path,
			Err: fmt.Errorf("refused: SHA-256 mismatch: want %s (from %s), have %s", want, source, d),
			Fix: "put back the file that was pinned, or, if you trust the new one, pin it again (logplug pin)"}
	}
	return nil
}

// maxSignatureFile bounds the size of a signature file read.
const maxSignatureFile = 64 << 10

// checkSignature refuses a file whose digest d is not signed by a trusted
// key in path.sig.
func (g *guard) checkSignature(path string, d trust.Digest) error {
	if len(g.keys) == 0 {
		return nil
	}
	sigPath := path + trust.SignatureSuffix
	signHint := "sign it with a trusted key: logplug sign --key KEY " + path
	text, err := readSmall(sigPath, maxSignatureFile)
	if errors.Is(err, fs.ErrNotExist) {
		return &LoadError{Path: path, Err: fmt.Errorf("refused: not signed: no signature file %s", sigPath), Fix: signHint}
	}
	if err != nil {
		return &LoadError{Path: path, Err: fmt.Errorf("refused: signature: %w", err), Fix: signHint}
	}
	sig, err := trust.ParseSignature(text)
	if err != nil {
		return &LoadError{Path: path, Err: fmt.Errorf("refused: signature file %s: %w", sigPath, err), Fix: signHint}
	}
	if trust.Verify(g.keys, d, sig) < 0 {
		return &LoadError{Path: path,
			Err: fmt.Errorf("refused: %s is not a signature of this file (sha256 %s) by any of the %d trusted keys", sigPath, d, len(g.keys)),
			Fix: "if you trust the file, " + signHint + "; else remove it"}
	}
	return nil
}

// realPathErr returns the absolute path of path with every symlink
// resolved, or the error that stopped it.
func realPathErr(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	return filepath.Abs(real)
}

// readSmall reads a file of at most max bytes.
func readSmall(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(b)) > max {
		err = fmt.Errorf("%s: larger than %d bytes", name, max)
	}
	return b, err
}
