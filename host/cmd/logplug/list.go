package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/logplug/logplug/host"
)

func listCommand() *Command {
	var hf hostFlags
	return &Command{
		Name:      "list",
		UsageLine: "logplug list [plugin flags]",
		Short:     "list the plugins found and whether each loads",
		Long: `
List loads every plugin and prints a line for each: its name, version,
whether it loaded, how long opening it took, and its file. Below the table,
a line for each plugin that did not load says why.` + pluginFlagsHelp,
		setFlags: hf.register,
		Run: func(ctx context.Context, c *Command, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected arguments %q", args)
			}
			opts, err := hf.options(io.Discard)
			if err != nil {
				return err
			}
			h, err := host.Open(opts)
			if err != nil {
				return err
			}
			defer h.Close()
			printStatuses(c.stdout, h.Plugins())
			return nil
		},
	}
}

// printStatuses writes one row per plugin, with the cause of a failure on
// the line below.
func printStatuses(w io.Writer, statuses []host.Status) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tSTATUS\tOPEN\tFILE")
	for _, s := range statuses {
		status, open := "ok", s.OpenTime.Round(10*time.Microsecond).String()
		if !s.Loaded() {
			status, open = "failed", "-"
		}
		version := s.Version
		if version == "" {
			version = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, version, status, open, s.Path)
	}
	tw.Flush()
	for _, s := range statuses {
		if s.Err != nil {
			fmt.Fprintf(w, "%s: %v\n", s.Name, s.Err)
		}
	}
}
