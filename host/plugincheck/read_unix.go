//go:build unix

package plugincheck

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"syscall"
)

// readRange returns the bytes of r from offset lo to hi, and a function to
// call when done with them. For a file it maps them into memory rather
// than read them: the host checks a plugin's symbol tables before every
// load, and mapping a few hundred kilobytes that are in the page cache
// costs less than copying them into fresh memory.
func readRange(r io.ReaderAt, lo, hi uint64) ([]byte, func(), error) {
	f, ok := r.(*os.File)
	if ok && hi > lo {
		pg := uint64(os.Getpagesize())
		start := lo &^ (pg - 1)
		m, err := syscall.Mmap(int(f.Fd()), int64(start), int(hi-start), syscall.PROT_READ, syscall.MAP_SHARED|mapPopulate)
		if err == nil {
			return m[lo-start:], func() { syscall.Munmap(m) }, nil
		}
	}
	buf := make([]byte, hi-lo)
	if _, err := r.ReadAt(buf, int64(lo)); err != nil {
		return nil, nil, err
	}
	return buf, func() {}, nil
}

// guardFaults runs f, turning a memory fault into an error: a file mapped
// by readRange that shrinks meanwhile faults when read (SIGBUS), which
// would otherwise abort the process.
func guardFaults(f func()) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("reading the symbol tables: %v", v)
		}
	}()
	f()
	return nil
}
