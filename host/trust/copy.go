package trust

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// A Copy is a private copy of a file: it lies in a folder of its own that
// only the current user can write (mode 0700), so nobody but that user and
// root can change its bytes after they were hashed.
type Copy struct {
	// Path is the copy.
	Path string
	// Digest is the SHA-256 of the bytes written to Path.
	Digest Digest
	// dir is the copy's private folder.
	dir string
}

// PrivateCopy copies the regular file src into a new private folder made by
// [os.MkdirTemp] in dir ("" means [os.TempDir]), hashing the bytes as it
// writes them. The copy has src's base name and mode 0500.
//
// Whatever happens to src meanwhile, Digest is the digest of the bytes in
// the copy: a check of Digest followed by an open of Path opens the bytes
// that were checked. Call Remove when the copy is no longer needed; a
// shared object that was opened stays mapped after its file is removed.
func PrivateCopy(src, dir string) (*Copy, error) {
	in, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return nil, err
	}
	switch {
	case info.IsDir():
		return nil, fmt.Errorf("%s is a folder, not a plugin file", src)
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file (mode %v)", src, info.Mode())
	}
	private, err := os.MkdirTemp(dir, "logplug-private-")
	if err != nil {
		return nil, fmt.Errorf("make a private folder for a copy of %s: %w", src, err)
	}
	c := &Copy{Path: filepath.Join(private, filepath.Base(src)), dir: private}
	if err := c.write(in); err != nil {
		c.Remove()
		return nil, fmt.Errorf("copy %s to %s: %w", src, c.Path, err)
	}
	return c, nil
}

// write copies in to c.Path and records the digest of what it wrote.
func (c *Copy) write(in io.Reader) error {
	out, err := os.OpenFile(c.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o500)
	if err != nil {
		return err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, h), in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	h.Sum(c.Digest[:0])
	return err
}

// Remove removes the copy and its private folder.
func (c *Copy) Remove() error {
	return os.RemoveAll(c.dir)
}
