module github.com/logplug/logplug/api

go 1.26.8
