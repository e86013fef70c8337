//go:build cgo && (linux || darwin || freebsd || netbsd || openbsd)

package plugincheck

/*
#cgo linux LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

static void *lookupGlobal(const char *name) { return dlsym(RTLD_DEFAULT, name); }
*/
import "C"

import (
	"encoding/hex"
	"unsafe"
)

// selfLookup returns a function that looks up the fingerprint of a package
// in the running program with dlsym, or nil if the program exports no
// fingerprints (it does only when it links package plugin). It sees what
// the Go runtime sees when it opens a plugin: the host's packages and
// those of the plugins opened before, whichever defined a package first.
// It is much cheaper than reading the host's executable file.
func selfLookup() func(pkg string) (string, bool) {
	lookup := func(pkg string) (string, bool) {
		name := C.CString(fingerprintPrefix + pkg)
		defer C.free(unsafe.Pointer(name))
		p := C.lookupGlobal(name)
		if p == nil {
			return "", false
		}
		return hex.EncodeToString(C.GoBytes(p, fingerprintSize)), true
	}
	if _, ok := lookup("runtime"); !ok {
		return nil
	}
	return lookup
}
