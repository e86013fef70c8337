package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Modes for files and folders the plugin creates. The process umask applies.
const (
	fileMode = 0o640
	dirMode  = 0o750
)

// An output is where the lines go: standard output, standard error or a file
// the plugin opened by its path. The logging library writes each message to
// it with one Write call. A write that fails, whole or in part, is counted in
// fails as one failed message instead of being returned, so that the library
// does not report it on standard error. Write is called with the plugin's
// mutex held, which guards midLine.
type output struct {
	w       *os.File
	path    string    // the path w was opened by; "" for standard output and standard error
	fails   *failures // the plugin's count, which outlives the output
	midLine bool      // a write stopped inside a line: the next one starts with a newline
}

// openOutput returns the output a setting names: "stdout", "stderr" or a file
// path, opened for appending, with missing parent folders created. Its
// failed writes are counted in fails.
func openOutput(name string, fails *failures) (*output, error) {
	switch name {
	case "stdout":
		return &output{w: os.Stdout, fails: fails}, nil
	case "stderr":
		return &output{w: os.Stderr, fails: fails}, nil
	}
	if err := os.MkdirAll(filepath.Dir(name), dirMode); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, fileMode)
	if err != nil {
		return nil, err
	}
	return &output{w: f, path: name, fails: fails}, nil
}

// isFile reports whether the plugin opened the output by a path, so that
// flush syncs it, close closes it and it can be opened again.
func (o *output) isFile() bool { return o.path != "" }

// Write writes the line p with one call to the underlying file. It always
// reports success; a failed or short write counts one failed message. After
// a write that stopped inside a line, it writes a newline before p, so that
// the cut line ends there and p is whole on a line of its own.
func (o *output) Write(p []byte) (int, error) {
	b := p
	if o.midLine {
		b = append([]byte{'\n'}, p...)
	}
	n, err := o.w.Write(b)
	if err := writeError(o.w, n, len(b), err); err != nil {
		o.fails.add(1, err)
	}
	if n > 0 {
		o.midLine = b[n-1] != '\n'
	}
	return len(p), nil
}

// flush makes a file output durable. It returns a sync error, not the
// failed writes, which fails counts.
func (o *output) flush() error {
	if !o.isFile() {
		return nil
	}
	if err := o.w.Sync(); err != nil && !canNotSync(err) {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

// close flushes the output and closes it if it is a file.
func (o *output) close() error {
	err := o.flush()
	if o.isFile() {
		err = errors.Join(err, o.w.Close())
	}
	return err
}

// canNotSync reports whether err is what fsync says of a file that has
// nothing to make durable, such as /dev/null, a pipe or a terminal: such a
// file is not an error to flush.
func canNotSync(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP)
}
