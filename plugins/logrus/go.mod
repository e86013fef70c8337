module github.com/logplug/logplug/plugins/logrus

go 1.26.8

require (
	github.com/logplug/logplug/api v0.0.0
	github.com/sirupsen/logrus v1.10.2
)

require golang.org/x/sys v0.29.0 // indirect

replace github.com/logplug/logplug/api => ../../api
