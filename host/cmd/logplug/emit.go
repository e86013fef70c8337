package main

import (
	"context"
	"flag"
	"strings"

	"github.com/logplug/logplug/api"
)

func emitCommand() *Command {
	var (
		hf     hostFlags
		level  string
		labels = labelsFlag{}
	)
	return &Command{
		Name:      "emit",
		UsageLine: "logplug emit [plugin flags] [--level LEVEL] [--label KEY=VALUE]... MESSAGE...",
		Short:     "send one message to every plugin",
		Long: `
Emit loads the plugins and sends them one message: the arguments joined by
spaces, at the given level, with the given labels. A plugin that fails to
load is reported on standard error and the others still get the message.

LEVEL is one of log, debug, info, warn and error. A plugin without a Debug
method gets debug messages through Log, and one without an Error method gets
error messages through Warn.

Emit fails (exit status 1) when no plugin loaded or a plugin's Flush or
Close failed.` + pluginFlagsHelp,
		setFlags: func(fs *flag.FlagSet) {
			hf.register(fs)
			fs.StringVar(&level, "level", "info", "send the message at `LEVEL`")
			fs.Var(labels, "label", "attach label `KEY=VALUE` (repeatable)")
		},
		Run: func(ctx context.Context, c *Command, args []string) error {
			if len(args) == 0 {
				return usagef("no message given")
			}
			lvl, err := api.ParseLevel(level)
			if err != nil {
				return usagef("--level: %v", err)
			}
			h, err := hf.open(c.stderr)
			if err != nil {
				return err
			}
			h.Send(lvl, strings.Join(args, " "), labels)
			return shutdown(h, c.stderr, false)
		},
	}
}
