//go:build unix

package trust

import (
	"io/fs"
	"syscall"
)

// owner returns the user id that owns the entry info describes.
func owner(info fs.FileInfo) (int, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
