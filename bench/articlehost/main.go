// Command articlehost is the smallest host that can load logplug's plugins,
// the one of the article logplug started from: it opens each plugin file
// named on its command line, looks up LoggingPlugin, asserts it to its own
// interface and calls Info once on each. It checks nothing before loading,
// configures nothing and closes nothing.
//
// `go tool mage bench` times it against `logplug emit` with the same
// plugins: the cost of plugin.Open itself is the floor of any host's start-up,
// and this program pays little more than that.
package main

import (
	"fmt"
	"os"
	"plugin"
)

// LoggerInterface is the article's interface.
type LoggerInterface interface {
	Log(msg string, labels map[string]string)
	Info(msg string, labels map[string]string)
	Warn(msg string, labels map[string]string)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: articlehost PLUGIN.so...")
		os.Exit(2)
	}
	var loggers []LoggerInterface
	for _, path := range os.Args[1:] {
		p, err := plugin.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "articlehost:", err)
			os.Exit(1)
		}
		l, err := p.Lookup("LoggingPlugin")
		if err != nil {
			fmt.Fprintln(os.Stderr, "articlehost:", err)
			os.Exit(1)
		}
		logger, ok := l.(LoggerInterface)
		if !ok {
			fmt.Fprintf(os.Stderr, "articlehost: %s: LoggingPlugin is a %T, not a logger\n", path, l)
			os.Exit(1)
		}
		loggers = append(loggers, logger)
	}
	for _, logger := range loggers {
		logger.Info("Hello world!", map[string]string{"user": "sample"})
	}
}
