package main

import (
	"io"
	"os"

	"github.com/rs/zerolog"
)

// LogplugBenchOutput points LoggingPlugin at w, with the default settings
// (JSON, every level). `go tool mage bench` adds this file to the copies of
// the plugin it benchmarks, so that a loaded copy and a statically linked
// copy write to the same place.
func LogplugBenchOutput(w io.Writer) {
	LoggingPlugin.mu.Lock()
	defer LoggingPlugin.mu.Unlock()
	// out is what Flush and Close act on; the events go to w.
	LoggingPlugin.out = &output{w: os.Stdout}
	LoggingPlugin.zl = zerolog.New(w).Level(defaults.level)
}
