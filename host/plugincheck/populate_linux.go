package plugincheck

import "syscall"

// mapPopulate asks the kernel to map every page at once rather than on
// first touch.
const mapPopulate = syscall.MAP_POPULATE
