package main

import (
	"io"
	"os"
	"syscall"
)

// interruptibleStdin returns r, or, when r is an *os.File on a pipe or a
// socket, a second *os.File on the same input in non-blocking mode, whose
// Read the runtime's poller can cut short with a deadline: so that, at a
// signal, run can stop a read that waits for input without taking any
// (see idleReader.stop). restore puts the input back in blocking mode,
// for whoever reads it after run, and closes the second file.
//
// A terminal or a regular file is left as it is: a read of a file does not
// wait, and a terminal's mode is the shell's.
func interruptibleStdin(r io.Reader) (in io.Reader, restore func()) {
	f, ok := r.(*os.File)
	if !ok {
		return r, func() {}
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return r, func() {}
	}
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return r, func() {}
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return r, func() {}
	}
	nf := os.NewFile(uintptr(fd), f.Name()) // non-blocking, so the poller takes it
	return nf, func() {
		syscall.SetNonblock(fd, false) // the mode belongs to the pipe, which others share
		nf.Close()
	}
}
