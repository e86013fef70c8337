module github.com/logplug/logplug/integration

go 1.26.8
