package trust

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// A PermissionError says why an entry on the way to a file lets someone
// other than root or the host's user change what the file holds.
type PermissionError struct {
	// Kind is "file", "folder" or "symlink".
	Kind string
	// Path is the entry at fault.
	Path string
	// Problem says what is wrong with it, for example "is writable by group
	// (mode 0775)".
	Problem string
	// Fix is the command that fixes it, for example "chmod g-w /srv/plugins".
	Fix string
}

// Error returns the kind, path and problem, for example
// "folder /srv/plugins is writable by group (mode 0775)".
func (e *PermissionError) Error() string {
	return e.Kind + " " + e.Path + " " + e.Problem
}

// A Checker checks that nobody but root and one user can change a file, the
// folders that lead to it, or the symlinks on the way. It remembers what it
// has looked at, so that checking many files in one folder costs one lstat
// per file and one per folder. A Checker is not safe for concurrent use.
//
// The rules, checked for every entry the kernel passes through when it
// resolves the path (each folder from the root down, each symlink and the
// folders its target passes through, and the file):
//
//   - Each entry must be owned by root (uid 0) or by the Checker's user.
//   - The file must not be writable by group or others.
//   - A folder must not be writable by group or others, unless it has the
//     sticky bit (as /tmp has, mode 1777). In a sticky folder the kernel lets
//     only the owner of an entry, the folder's owner and root rename, remove
//     or replace that entry; since the entry below on the path must itself
//     be owned by root or the user, nobody else can change the path there.
//
// OpenSSH's StrictModes refuses every group- or world-writable folder, sticky
// or not; this rule accepts a private folder under /tmp, which is as safe as
// one under $HOME. Symlinks have no permissions of their own; their owner is
// checked, since the owner can remove a symlink even from a sticky folder.
type Checker struct {
	uid  int
	seen map[string]entry
}

// entry is what the Checker found out about one path.
type entry struct {
	info fs.FileInfo
	err  error // the entry's own problem, or nil
}

// NewChecker returns a Checker that trusts root and uid, normally the
// host's effective user id ([os.Geteuid]).
func NewChecker(uid int) *Checker {
	return &Checker{uid: uid, seen: map[string]entry{}}
}

// Check resolves path to its real path, as [filepath.EvalSymlinks] does,
// checking every entry on the way. It returns the real path, or the first
// entry that breaks a rule as a *[PermissionError], or the error met while
// resolving (a missing file, a symlink loop).
//
// A caller that opens the real path Check returns opens the file that was
// checked: nobody but root and the user can change what the path leads to.
func (c *Checker) Check(path string) (string, error) {
	abs := path
	if !filepath.IsAbs(path) {
		// Not filepath.Abs, which cleans "a/link/.." to "a" lexically; the
		// kernel, and resolve, go up from where the link leads.
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		abs = wd + "/" + path
	}
	return c.resolve(abs)
}

// maxLinks is the number of symlinks resolve follows before giving up, as
// filepath.EvalSymlinks does.
const maxLinks = 255

// resolve walks the absolute path abs (not necessarily clean) one component at a time, like the
// kernel: ".." goes back up from the real folder reached so far, and a
// symlink's target replaces it, relative to the folder that holds it. Every
// entry reached is checked.
func (c *Checker) resolve(abs string) (string, error) {
	if err := c.check("/"); err != nil {
		return "", err
	}
	dest := "/" // the real path reached so far
	rest := abs
	links := 0
	for {
		rest = strings.TrimLeft(rest, "/")
		if rest == "" {
			return dest, nil
		}
		name, tail, _ := strings.Cut(rest, "/")
		rest = tail
		switch name {
		case ".":
			continue
		case "..":
			dest = filepath.Dir(dest)
			continue
		}
		next := filepath.Join(dest, name)
		if err := c.check(next); err != nil {
			return "", err
		}
		info := c.seen[next].info
		if info.Mode()&fs.ModeSymlink == 0 {
			if !info.IsDir() && strings.Trim(rest, "/") != "" {
				return "", &fs.PathError{Op: "resolve", Path: next, Err: errors.New("not a folder")}
			}
			dest = next
			continue
		}
		links++
		if links > maxLinks {
			return "", &fs.PathError{Op: "resolve", Path: abs, Err: errors.New("too many symlinks")}
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			dest = "/"
		}
		rest = target + "/" + rest
	}
}

// check looks at one entry, once, and returns its problem.
func (c *Checker) check(path string) error {
	if e, ok := c.seen[path]; ok {
		return e.err
	}
	info, err := os.Lstat(path)
	if err != nil {
		c.seen[path] = entry{err: err}
		return err
	}
	err = c.judge(path, info)
	c.seen[path] = entry{info: info, err: err}
	return err
}

// judge applies the rules to one entry.
func (c *Checker) judge(path string, info fs.FileInfo) error {
	kind := "file"
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		kind = "symlink"
	case info.IsDir():
		kind = "folder"
	}
	uid, ok := owner(info)
	if !ok {
		return &PermissionError{Kind: kind, Path: path, Problem: "has no owner that can be checked on this system",
			Fix: "use a system where Go plugins work (Linux, macOS)"}
	}
	if uid != 0 && uid != c.uid {
		chown := "chown root "
		if kind == "symlink" {
			chown = "chown -h root "
		}
		return &PermissionError{Kind: kind, Path: path,
			Problem: fmt.Sprintf("is owned by uid %d, not by root or the host's user (uid %d)", uid, c.uid),
			Fix:     chown + path}
	}
	if kind == "symlink" {
		return nil // a symlink's own mode means nothing
	}
	mode := unixMode(info)
	who := writableBy(mode)
	if who == "" || (kind == "folder" && mode&modeSticky != 0) {
		return nil
	}
	return &PermissionError{Kind: kind, Path: path,
		Problem: fmt.Sprintf("is writable by %s (mode %04o)", who, mode),
		Fix:     fmt.Sprintf("chmod %s-w %s", whoLetters(mode), path)}
}

// Permission bits, as in stat(2).
const (
	modeSticky     = 0o1000
	modeGroupWrite = 0o020
	modeOtherWrite = 0o002
)

// unixMode returns the permission bits of info as stat(2) reports them,
// with setuid, setgid and sticky.
func unixMode(info fs.FileInfo) uint32 {
	m := uint32(info.Mode().Perm())
	if info.Mode()&fs.ModeSetuid != 0 {
		m |= 0o4000
	}
	if info.Mode()&fs.ModeSetgid != 0 {
		m |= 0o2000
	}
	if info.Mode()&fs.ModeSticky != 0 {
		m |= modeSticky
	}
	return m
}

// writableBy says who besides the owner may write, in words.
func writableBy(mode uint32) string {
	switch {
	case mode&modeGroupWrite != 0 && mode&modeOtherWrite != 0:
		return "group and others"
	case mode&modeGroupWrite != 0:
		return "group"
	case mode&modeOtherWrite != 0:
		return "others"
	}
	return ""
}

// whoLetters says who besides the owner may write, as chmod letters.
func whoLetters(mode uint32) string {
	s := ""
	if mode&modeGroupWrite != 0 {
		s += "g"
	}
	if mode&modeOtherWrite != 0 {
		s += "o"
	}
	return s
}

// Within reports whether path is folder or lies below it. Both must be
// clean absolute paths, such as real paths from [Checker.Check].
func Within(folder, path string) bool {
	if folder == "/" {
		return strings.HasPrefix(path, "/")
	}
	return path == folder || strings.HasPrefix(path, folder+"/")
}
