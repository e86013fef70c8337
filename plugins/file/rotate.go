package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"

	"gopkg.in/natefinch/lumberjack.v2"
)

// maxSizeMB is the largest max_size_mb, so that it fits in bytes in an
// int64 (a petabyte).
const maxSizeMB = 1 << 30

// rotating is a file that is rotated by size. The plugin decides when to
// rotate, from the size it keeps, so that it knows which file the path
// names; lumberjack renames the file, creates the next one and removes old
// backups. lumberjack does not export its file, so rotating keeps a
// descriptor of its own on the current file, to stat and fsync it.
type rotating struct {
	lj   *lumberjack.Logger
	max  int64    // bytes; lumberjack's own limit is set so high that it never rotates
	size int64    // bytes in the current file: what it held when opened, and what was written
	file *os.File // the current file, open for appending but written only by lumberjack
}

// newRotating opens the file c names, creating it and its missing parent
// folders, for lumberjack to write and rotate.
func newRotating(c config) (*rotating, error) {
	r := &rotating{
		lj: &lumberjack.Logger{
			Filename:   c.path,
			MaxSize:    math.MaxInt32, // megabytes: the plugin rotates, not lumberjack
			MaxBackups: c.maxBackups,
		},
		max: int64(c.maxSizeMB) << 20,
	}
	if err := r.reopen(c); err != nil {
		return nil, err
	}
	return r, nil
}

// reopen opens the path again: it creates the file if it is missing, with
// c's mode (lumberjack would give it mode 0600), and closes lumberjack's
// file, which lumberjack opens again by path at the next write. If the file
// can't be created, nothing changes.
func (r *rotating) reopen(c config) error {
	f, err := createFile(c)
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil {
		return errors.Join(err, f.Close())
	}
	err = r.lj.Close()
	if r.file != nil {
		err = errors.Join(err, r.file.Close())
	}
	r.file, r.size = f, info.Size()
	return err
}

// due reports whether a line of n bytes must go to a new file: it would
// take the current file past the limit, and fits in an empty one.
func (r *rotating) due(n int) bool {
	return r.size+int64(n) > r.max && int64(n) <= r.max
}

// rotate has lumberjack rename the file and create the next one, and
// opens that one to watch it.
func (r *rotating) rotate() error {
	if err := r.lj.Rotate(); err != nil {
		return fmt.Errorf("rotate %s: %w", r.lj.Filename, err)
	}
	r.size = 0
	f, err := os.OpenFile(r.lj.Filename, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		// The next check finds the path names another file than
		// r.file, and reopens it.
		return fmt.Errorf("rotate %s: %w", r.lj.Filename, err)
	}
	err = r.file.Close()
	r.file = f
	return err
}

// Write appends p to the current file. A line longer than the limit is
// refused.
func (r *rotating) Write(p []byte) (int, error) {
	if int64(len(p)) > r.max {
		return 0, fmt.Errorf("write %s: the line is %d bytes, more than max_size_mb allows (%d)", r.lj.Filename, len(p), r.max)
	}
	n, err := r.lj.Write(p)
	r.size += int64(n)
	return n, err
}

// Sync fsyncs the current file. Files already rotated out were closed by
// lumberjack without an fsync.
func (r *rotating) Sync() error { return r.file.Sync() }

// Stat describes the current file.
func (r *rotating) Stat() (os.FileInfo, error) { return r.file.Stat() }

// Close closes the current file.
func (r *rotating) Close() error { return errors.Join(r.lj.Close(), r.file.Close()) }

// takeLock locks c.path + ".lock", creating it, with an advisory lock
// (flock) that a second rotating writer of the same file is refused, and
// writes the process ID into it. The lock goes with the descriptor: closing
// it, or the process ending, releases it. lumberjack never removes the lock
// file: its backups are named PREFIX-TIME.EXT, where PREFIX is the file
// name without its extension, and the lock file's name has a '.' where
// PREFIX has its '-'.
func takeLock(c config) (*os.File, error) {
	name := c.path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, c.mode)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, lockedError(name)
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if err := writePID(f); err != nil {
		return nil, errors.Join(fmt.Errorf("lock %s: %w", name, err), f.Close())
	}
	return f, nil
}

// writePID replaces what the lock file f holds with the process ID.
func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// lockedError says that another writer holds the lock file name, naming it
// by the process ID the file holds.
func lockedError(name string) error {
	who := "another process"
	b, _ := os.ReadFile(name)
	switch pid := strings.TrimSpace(string(b)); pid {
	case "":
		// The holder has not written its ID yet.
	case strconv.Itoa(os.Getpid()):
		who = fmt.Sprintf("another writer in this process (pid %s)", pid)
	default:
		who = fmt.Sprintf("another process (pid %s)", pid)
	}
	return fmt.Errorf("%s writes and rotates this file (it holds %s); two rotating writers would lose lines: "+
		"give each its own file, or rotate with logrotate and SIGHUP instead of max_size_mb", who, name)
}

// releaseLock releases the lock and closes the lock file. The file stays:
// removing it would let a writer that opened it just before lock a file
// that no longer has the name the next writer locks.
func releaseLock(f *os.File) error {
	return errors.Join(syscall.Flock(int(f.Fd()), syscall.LOCK_UN), f.Close())
}
