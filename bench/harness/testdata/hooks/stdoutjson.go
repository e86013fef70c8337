package main

import "io"

// LogplugBenchOutput points LoggingPlugin at w. `go tool mage bench` adds
// this file to the copies of the plugin it benchmarks, so that a loaded copy
// and a statically linked copy write to the same place.
func LogplugBenchOutput(w io.Writer) {
	LoggingPlugin.mu.Lock()
	defer LoggingPlugin.mu.Unlock()
	LoggingPlugin.out = w
}
