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
// the plugin opened. It records failed writes instead of returning them, so
// that the logging library does not report them on standard error; flush
// reports them.
type output struct {
	w      *os.File
	isFile bool  // w was opened by the plugin, so flush syncs it and close closes it
	failed int   // writes that failed since the last flush
	err    error // the first of them
}

// openOutput returns the output a setting names: "stdout", "stderr" or a file
// path, opened for appending, with missing parent folders created.
func openOutput(name string) (*output, error) {
	switch name {
	case "stdout":
		return &output{w: os.Stdout}, nil
	case "stderr":
		return &output{w: os.Stderr}, nil
	}
	if err := os.MkdirAll(filepath.Dir(name), dirMode); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, fileMode)
	if err != nil {
		return nil, err
	}
	return &output{w: f, isFile: true}, nil
}

// Write writes p with one call to the underlying file. It always reports
// success; a failure is kept for flush.
func (o *output) Write(p []byte) (int, error) {
	if _, err := o.w.Write(p); err != nil {
		if o.failed == 0 {
			o.err = err
		}
		o.failed++
	}
	return len(p), nil
}

// flush makes a file output durable, and returns the write failures since
// the last flush, if any.
func (o *output) flush() error {
	var errs []error
	if o.failed > 0 {
		errs = append(errs, fmt.Errorf("%d writes failed, the first with: %w", o.failed, o.err))
		o.failed, o.err = 0, nil
	}
	if o.isFile {
		if err := o.w.Sync(); err != nil && !canNotSync(err) {
			errs = append(errs, fmt.Errorf("sync: %w", err))
		}
	}
	return errors.Join(errs...)
}

// close flushes the output and closes it if it is a file.
func (o *output) close() error {
	err := o.flush()
	if o.isFile {
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
