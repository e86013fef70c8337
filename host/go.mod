module github.com/logplug/logplug/host

go 1.26.8

require github.com/logplug/logplug/api v0.0.0

replace github.com/logplug/logplug/api => ../api
