package rpcpeer

import (
	"fmt"
	"io"
	"plugin"

	"github.com/logplug/logplug/host"
)

// OutputHook is the function that `go tool mage bench` adds to the copies
// of a plugin it benchmarks: it points the plugin's LoggingPlugin at a
// writer, so that every side of a comparison writes to the same place.
const OutputHook = "LogplugBenchOutput"

// LoadWithOutput loads the plugin file at path, a copy built by `go tool
// mage bench`, and points its logger at w.
func LoadWithOutput(path string, w io.Writer) (*host.Plugin, error) {
	p, err := host.Load(path)
	if err != nil {
		return nil, err
	}
	// host.Load opened the file; plugin.Open returns the same plugin.
	pl, err := plugin.Open(path)
	if err != nil {
		return nil, err
	}
	sym, err := pl.Lookup(OutputHook)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (build the plugin with go tool mage bench, which adds it)", path, err)
	}
	setOutput, ok := sym.(func(io.Writer))
	if !ok {
		return nil, fmt.Errorf("%s: %s is a %T, want func(io.Writer)", path, OutputHook, sym)
	}
	setOutput(w)
	return p, nil
}
