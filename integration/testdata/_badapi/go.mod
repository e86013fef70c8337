// A plugin that links github.com/logplug/logplug/api, but not the host's:
// the integration tests copy this folder next to a copy of api/ with one
// more exported function (../apicopy), so that the api package the plugin
// links differs from the host's. The Go runtime refuses such a plugin
// ("plugin was built with a different version of package
// github.com/logplug/logplug/api"); the host must say so before opening it.
module example.com/logplug-badapi

go 1.26.8

require github.com/logplug/logplug/api v0.0.0

replace github.com/logplug/logplug/api => ../apicopy
