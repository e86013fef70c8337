package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// checkInterval is how often, at most, a write checks that the path still
// names the file written.
const checkInterval = time.Second

// A sink is where the lines go: an *os.File, or a [rotating] file when
// rotation is on.
type sink interface {
	io.WriteCloser
	Sync() error
	// Stat describes the file being written, as it is now.
	Stat() (os.FileInfo, error)
}

// output is the file the plugin writes, named by a path. It writes lines to
// the sink, mends a line cut short by a failed write, and notices when the
// path no longer names the file written. The logger's mutex guards it.
type output struct {
	c       config
	w       sink
	lock    *os.File  // with rotation: c.path + ".lock", locked by this writer
	fails   *failures // the logger's
	cut     bool      // the file ends in a cut line: the next write starts with a newline
	mend    []byte    // a newline and a line, when cut
	checked time.Time // when check last looked at the path
	since   int       // lines written since check last found the file in place
}

// openOutput opens the file c names, creating it and its missing parent
// folders, and with rotation on takes its lock. prev is the output c
// replaces, or nil: if it holds the lock of the same path, the new output
// takes it over.
func openOutput(c config, prev *output, fails *failures, now time.Time) (*output, error) {
	w, err := openSink(c)
	if err != nil {
		return nil, err
	}
	o := &output{c: c, w: w, fails: fails, checked: now, cut: endsInLine(c.path)}
	if c.maxSizeMB == 0 {
		return o, nil
	}
	if prev != nil && prev.lock != nil && prev.c.path == c.path {
		o.lock, prev.lock = prev.lock, nil
		return o, nil
	}
	if o.lock, err = takeLock(c); err != nil {
		return nil, errors.Join(err, w.Close())
	}
	return o, nil
}

// openSink opens the file c names for appending, through lumberjack when
// rotation is on.
func openSink(c config) (sink, error) {
	if c.maxSizeMB > 0 {
		return newRotating(c)
	}
	return createFile(c)
}

// createFile opens the file c names for appending, creating it with c's
// mode and its missing parent folders.
func createFile(c config) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(c.path), dirMode); err != nil {
		return nil, err
	}
	return os.OpenFile(c.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, c.mode)
}

// write appends line, taken at time t, to the file with one Write call,
// counting it as failed if the write fails or is cut short. At most once
// every checkInterval, it first checks that the path still names the file.
func (o *output) write(t time.Time, line []byte) {
	if t.Sub(o.checked) >= checkInterval {
		o.check(t, true)
	}
	if r, ok := o.w.(*rotating); ok && r.due(len(line)) {
		o.rotate(t, r, len(line))
	}
	p := line
	if o.cut {
		// The file is shared by appending processes, so it is not
		// truncated: the cut line stays, a bad line of its own.
		o.mend = append(append(o.mend[:0], '\n'), line...)
		p = o.mend
	}
	n, err := o.w.Write(p)
	if n > 0 {
		o.cut = p[n-1] != '\n'
	}
	if err == nil && n < len(p) {
		err = &fs.PathError{Op: "write", Path: o.c.path, Err: io.ErrShortWrite}
	}
	switch {
	case err != nil && n > 0:
		o.fails.add(1, fmt.Errorf("%w (cut after %d of %d bytes; the next line starts on a line of its own)", err, n, len(p)))
	case err != nil:
		o.fails.add(1, err)
	default:
		o.since++
	}
}

// rotate has lumberjack rotate the file, before a line of n bytes, after
// checking that the file is still in place, so that lines written to a
// removed file are counted before the path names a new one.
func (o *output) rotate(t time.Time, r *rotating, n int) {
	o.check(t, true)
	if !r.due(n) {
		// check reopened the file.
		return
	}
	if err := r.rotate(); err == nil {
		o.cut = false
	}
	// On an error, the write that follows tries again, and fails.
}

// A pathState is what a path names, compared with the file written.
type pathState int

const (
	inPlace  pathState = iota // the path names the file written
	removed                   // the file written has no name left
	replaced                  // the file was renamed, and the path names another file or none
	unknown                   // a stat failed
)

// look reports what o's path names now.
func (o *output) look() pathState {
	held, err := o.w.Stat()
	if err != nil {
		return unknown
	}
	if st, ok := held.Sys().(*syscall.Stat_t); ok && st.Nlink == 0 {
		return removed
	}
	named, err := os.Stat(o.c.path)
	switch {
	case err == nil && os.SameFile(held, named):
		return inPlace
	case err == nil || errors.Is(err, fs.ErrNotExist):
		return replaced
	}
	return unknown
}

// check looks at what the path names. If the file was removed, the lines
// written since the last check went with it: check counts them as failed,
// and recreates the file if reopen is set. If the file was renamed (by a
// rotator, without a Reopen), the lines are in the renamed file, and check
// reopens the path if reopen is set. When the file is in place, or on a
// failed stat, it does nothing.
func (o *output) check(t time.Time, reopen bool) {
	state := o.look()
	since, elapsed := o.since, t.Sub(o.checked).Round(time.Millisecond)
	o.checked = t
	if state == unknown {
		return
	}
	o.since = 0
	switch {
	case state == removed:
		var err error
		if reopen {
			if err = o.reopen(); err == nil {
				err = o.relock()
			}
		}
		if since > 0 {
			o.fails.add(since, removedError(o.c.path, since, elapsed, reopen, err))
		}
	case state == replaced && reopen:
		// Failing, the lines go on into the renamed file, and the next
		// check tries again.
		_ = o.reopen()
	}
}

// removedError describes the loss of the n lines written to the file at
// path, removed while open, in the elapsed time since the last check.
// recreated says whether check tried to recreate the file, and err is how
// that failed.
func removedError(path string, n int, elapsed time.Duration, recreated bool, err error) error {
	lost := fmt.Sprintf("the %d lines written to it since the last check (%v before) are lost", n, elapsed)
	if n == 1 {
		lost = fmt.Sprintf("the line written to it since the last check (%v before) is lost", elapsed)
	}
	switch {
	case !recreated:
		return fmt.Errorf("%s was removed while open: %s", path, lost)
	case err != nil:
		return fmt.Errorf("%s was removed while open: %s; recreating it: %w", path, lost, err)
	}
	return fmt.Errorf("%s was removed while open; recreated it: %s", path, lost)
}

// relock takes the rotation lock again if its file is gone, removed with
// the folder: so that a second rotating writer is still refused.
func (o *output) relock() error {
	if o.lock == nil {
		return nil
	}
	held, err := o.lock.Stat()
	if named, nerr := os.Stat(o.lock.Name()); err == nil && nerr == nil && os.SameFile(held, named) {
		return nil
	}
	lock, err := takeLock(o.c)
	if err != nil {
		return err
	}
	err = releaseLock(o.lock)
	o.lock = lock
	return err
}

// reopenNow reopens the path at once (Reopen), after counting the lines
// lost if the file was removed.
func (o *output) reopenNow(t time.Time) error {
	o.check(t, false)
	if err := o.reopen(); err != nil {
		return fmt.Errorf("reopen %s: %w", o.c.path, err)
	}
	if err := o.relock(); err != nil {
		return fmt.Errorf("reopen %s: %w", o.c.path, err)
	}
	return nil
}

// reopen closes the file and opens the path again, creating it and its
// folders. If it can't be opened, the old file stays. A cut line is mended
// only if the path names the same file again.
func (o *output) reopen() error {
	before, _ := o.w.Stat()
	if err := o.reopenSink(); err != nil {
		return err
	}
	if after, err := o.w.Stat(); before == nil || err != nil || !os.SameFile(before, after) {
		o.cut = endsInLine(o.c.path)
	}
	return nil
}

// reopenSink opens the path again in place of o.w.
func (o *output) reopenSink() error {
	if r, ok := o.w.(*rotating); ok {
		return r.reopen(o.c)
	}
	f, err := createFile(o.c)
	if err != nil {
		return err
	}
	prev := o.w
	o.w = f
	return prev.Close()
}

// sync fsyncs the file. A file with nothing to make durable is no error.
func (o *output) sync() error {
	if err := o.w.Sync(); err != nil && !canNotSync(err) {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

// close closes the file and releases the lock.
func (o *output) close() error {
	err := o.w.Close()
	if o.lock != nil {
		err = errors.Join(err, releaseLock(o.lock))
		o.lock = nil
	}
	return err
}

// canNotSync reports whether err is what fsync says of a file that has
// nothing to make durable, such as /dev/null, a pipe or a terminal: such a
// file is not an error to flush.
func canNotSync(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP)
}

// endsInLine reports whether the file at path ends inside a line: it is
// not empty and its last byte is not a newline, as a file is after a
// write that a full disk cut short, in this process or in an earlier one.
// A file that another process is appending to may show part of a line
// for an instant: a file that grows within cutSettle is not cut. A file
// that can't be read is taken to end with a whole line.
func endsInLine(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	size, cut := lastByteCut(f)
	if !cut {
		return false
	}
	time.Sleep(cutSettle)
	size2, cut := lastByteCut(f)
	return cut && size2 == size
}

// cutSettle is how long endsInLine waits to see whether a file that ends
// inside a line is being written.
const cutSettle = 5 * time.Millisecond

// lastByteCut returns the size of f, and whether its last byte is there
// and is not a newline.
func lastByteCut(f *os.File) (int64, bool) {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 || !fi.Mode().IsRegular() {
		return 0, false
	}
	var last [1]byte
	_, err = f.ReadAt(last[:], fi.Size()-1)
	return fi.Size(), err == nil && last[0] != '\n'
}
