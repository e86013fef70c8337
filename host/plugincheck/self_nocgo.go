//go:build !cgo || !(linux || darwin || freebsd || netbsd || openbsd)

package plugincheck

// selfLookup returns nil: without cgo the running program's symbols can't
// be looked up, and Self reads its executable file instead.
func selfLookup() func(pkg string) (string, bool) { return nil }
