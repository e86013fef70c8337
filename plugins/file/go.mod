module github.com/logplug/logplug/plugins/file

go 1.26.8

require (
	github.com/logplug/logplug/api v0.0.0
	gopkg.in/natefinch/lumberjack.v2 v2.2.1
)

replace github.com/logplug/logplug/api => ../../api
