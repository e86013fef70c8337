module github.com/logplug/logplug/integration

go 1.26.8

require (
	github.com/logplug/logplug/host v0.0.0
	github.com/logplug/logplug/magefiles v0.0.0
)

require github.com/logplug/logplug/api v0.0.0 // indirect

replace (
	github.com/logplug/logplug/api => ../api
	github.com/logplug/logplug/host => ../host
	github.com/logplug/logplug/magefiles => ../magefiles
)
