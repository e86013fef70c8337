// This file is a template: `go tool mage bench` overlays it on the tests of
// host/cmd/logplug, together with the package it imports, a copy of the
// stdoutjson plugin made importable. It does not compile on its own.

package main

import (
	"io"

	"github.com/logplug/logplug/api"
	"github.com/logplug/logplug/host/internal/benchstatic"
)

func init() {
	staticLogger = func(w io.Writer) api.Logger {
		benchstatic.LogplugBenchOutput(w)
		return &benchstatic.LoggingPlugin
	}
}
