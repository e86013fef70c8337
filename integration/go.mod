module github.com/logplug/logplug/integration

go 1.26.8

require github.com/logplug/logplug/magefiles v0.0.0

replace github.com/logplug/logplug/magefiles => ../magefiles
