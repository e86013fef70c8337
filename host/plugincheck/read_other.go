//go:build !unix

package plugincheck

import "io"

// readRange returns the bytes of r from offset lo to hi, and a function to
// call when done with them.
func readRange(r io.ReaderAt, lo, hi uint64) ([]byte, func(), error) {
	buf := make([]byte, hi-lo)
	if _, err := r.ReadAt(buf, int64(lo)); err != nil {
		return nil, nil, err
	}
	return buf, func() {}, nil
}

// guardFaults runs f; without memory-mapped files there is nothing to
// guard against.
func guardFaults(f func()) error {
	f()
	return nil
}
