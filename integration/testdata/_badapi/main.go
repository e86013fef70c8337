// Command badapi is a plugin that imports the api package (a copy that
// differs from the host's; see go.mod).
package main

import "github.com/logplug/logplug/api"

type logger struct{}

func (logger) Log(string, map[string]string)  {}
func (logger) Info(string, map[string]string) {}
func (logger) Warn(string, map[string]string) {}

// LoggingPlugin is the symbol the host looks up.
var LoggingPlugin api.Logger = logger{}
