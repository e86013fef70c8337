//go:build unix && !linux

package plugincheck

// mapPopulate is MAP_POPULATE where the system has it.
const mapPopulate = 0
