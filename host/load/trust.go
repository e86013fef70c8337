package load

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/logplug/logplug/host/trust"
)

// trust makes the checks of the Options on the file at path, in order, and
// returns the bytes to inspect and open:
//
//  1. Symlinks: a plugin that is a symlink to a file outside the folder
//     holding the symlink is refused, unless FollowSymlinks.
//  2. Permissions: [trust.Checker] walks the path as the kernel resolves it;
//     a file, folder or symlink on the way that someone other than root or
//     the user could change is refused, unless InsecurePermissions, which
//     warns instead. The real path the walk ends at is what is opened.
//  3. With Pins or TrustedKeys, the file is copied into a private folder,
//     hashed while it is copied, the digest of the copy checked against its
//     pin and its signature, and the copy is what the later steps read and
//     open: the bytes checked are the bytes loaded, whatever happens to the
//     file meanwhile.
//
// Checks 1 and 2 cost a few lstat calls per file; the copy, read and hash
// of check 3 are made only when pins or keys are in force. A refusal is an
// *Error whose Fix says what to do.
func (l *Loader) trust(path string) (open string, c *trust.Copy, err error) {
	if err := l.checkSymlink(path); err != nil {
		return "", nil, err
	}
	file, err := l.checkPermissions(path)
	if err != nil {
		return "", nil, err
	}
	if l.opts.Pins == nil && len(l.opts.TrustedKeys) == 0 {
		return file, nil, nil
	}
	c, err = trust.PrivateCopy(file, "")
	if err != nil {
		return "", nil, &Error{Path: path, Err: fmt.Errorf("refused: %w", err)}
	}
	if err := l.checkCopy(path, c); err != nil {
		c.Remove()
		return "", nil, err
	}
	return c.Path, c, nil
}

// checkCopy checks the private copy's folder, and its digest against the
// pins and the signature.
func (l *Loader) checkCopy(path string, c *trust.Copy) error {
	if _, err := l.checker.Check(c.Path); err != nil && !l.opts.InsecurePermissions {
		return &Error{Path: path, Err: fmt.Errorf("refused: private copy: %w", err),
			Fix: "set TMPDIR to a folder that only root and you can write" + or(l.opts.Hints.insecure())}
	}
	if err := l.checkPin(path, c.Digest); err != nil {
		return err
	}
	return l.checkSignature(path, c.Digest)
}

// checkSymlink refuses a plugin that is a symlink to a file outside its
// folder, unless symlinks are followed.
func (l *Loader) checkSymlink(path string) error {
	if l.opts.FollowSymlinks {
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
	return &Error{Path: path,
		Err: fmt.Errorf("refused: symlink to %s, outside the plugin folder %s", target, folder),
		Fix: "copy the file into " + folder + or(l.opts.Hints.follow())}
}

// checkPermissions runs the permission walk and returns the real path to
// open.
func (l *Loader) checkPermissions(path string) (string, error) {
	file, err := l.checker.Check(path)
	var pe *trust.PermissionError
	switch {
	case err == nil:
		return file, nil
	case !errors.As(err, &pe):
		return "", &Error{Path: path, Err: err}
	case !l.opts.InsecurePermissions:
		return "", &Error{Path: path, Err: fmt.Errorf("refused: %w", pe), Fix: pe.Fix + or(l.opts.Hints.insecure())}
	}
	if w := l.opts.Warnings; w != nil {
		w.Printf("%s: warning: %v; loading it anyway (%s); fix: %s", path, pe, l.opts.Hints.insecure(), pe.Fix)
	}
	if file, err = realPathErr(path); err != nil {
		return "", &Error{Path: path, Err: err}
	}
	return file, nil
}

// checkPin refuses a file whose digest d is not the one pinned for it, or
// that is not pinned.
func (l *Loader) checkPin(path string, d trust.Digest) error {
	pins := l.opts.Pins
	if pins == nil {
		return nil
	}
	source := pins.Source
	if source == "" {
		source = "the pins"
	}
	name := path
	if abs, err := filepath.Abs(path); err == nil {
		name = abs
		if rel, err := filepath.Rel(l.base, abs); err == nil {
			name = filepath.ToSlash(rel)
		}
	}
	want, ok := pins.Lookup(name)
	if !ok && name != path {
		want, ok = pins.Lookup(path)
	}
	if !ok {
		return &Error{Path: path,
			Err: fmt.Errorf("refused: not pinned: %s has no line for %s (have %s)", source, name, d),
			Fix: fmt.Sprintf("if you trust the file, add the line %q to %s (%s prints it); else remove the file", d.String()+"  "+name, source, l.opts.Hints.pin())}
	}
	if want != d {
		return &Error{Path: path,
			Err: fmt.Errorf("refused: SHA-256 mismatch: want %s (from %s), have %s", want, source, d),
			Fix: fmt.Sprintf("put back the file that was pinned, or, if you trust the new one, pin it again (%s)", l.opts.Hints.pin())}
	}
	return nil
}

// maxSignatureFile bounds the size of a signature file read.
const maxSignatureFile = 64 << 10

// checkSignature refuses a file whose digest d is not signed by a trusted
// key in path.sig.
func (l *Loader) checkSignature(path string, d trust.Digest) error {
	keys := l.opts.TrustedKeys
	if len(keys) == 0 {
		return nil
	}
	sigPath := path + trust.SignatureSuffix
	signHint := l.opts.Hints.sign(path)
	text, err := readSmall(sigPath, maxSignatureFile)
	if errors.Is(err, fs.ErrNotExist) {
		return &Error{Path: path, Err: fmt.Errorf("refused: not signed: no signature file %s", sigPath), Fix: signHint}
	}
	if err != nil {
		return &Error{Path: path, Err: fmt.Errorf("refused: signature: %w", err), Fix: signHint}
	}
	sig, err := trust.ParseSignature(text)
	if err != nil {
		return &Error{Path: path, Err: fmt.Errorf("refused: signature file %s: %w", sigPath, err), Fix: signHint}
	}
	if trust.Verify(keys, d, sig) < 0 {
		return &Error{Path: path,
			Err: fmt.Errorf("refused: %s is not a signature of this file (sha256 %s) by any of the %d trusted keys", sigPath, d, len(keys)),
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
