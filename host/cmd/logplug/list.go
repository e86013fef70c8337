package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/logplug/logplug/host"
	"github.com/logplug/logplug/host/plugincheck"
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
a line for each plugin that did not load says why. With --strict, list
exits 1 when any plugin failed, after the table.` + pluginFlagsHelp,
		setFlags: hf.register,
		Run: func(ctx context.Context, c *Command, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected arguments %q", args)
			}
			h, problems, err := hf.load(io.Discard) // the table says why a plugin failed
			if err != nil {
				return err
			}
			defer h.Close()
			printStatuses(c.stdout, h.Plugins())
			for _, p := range problems {
				fmt.Fprintf(c.stderr, "%s: %s\n", progName, p)
			}
			return hf.strictError(h, problems)
		},
	}
}

// printStatuses writes one row per plugin, with the cause of a failure on
// the line below.
func printStatuses(w io.Writer, statuses []host.Status) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tSHAPE\tSTATUS\tOPEN\tFILE")
	for _, s := range statuses {
		status, open := "ok", s.OpenTime.Round(10*time.Microsecond).String()
		switch {
		case s.CopyOf != "":
			status, open = "copy", "-"
		case !s.Loaded():
			status, open = "failed", "-"
		}
		version, shape := s.Version, s.Shape
		if version == "" {
			version = "-"
		}
		if shape == "" {
			shape = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, version, shape, status, open, s.Path)
	}
	tw.Flush()
	for _, s := range statuses {
		switch {
		case s.CopyOf != "":
			fmt.Fprintf(w, "%s: %s\n", s.Name, plugincheck.CopyMessage(s.Path, s.CopyOf))
		case s.Err != nil:
			fmt.Fprintf(w, "%s: %v\n", s.Name, s.Err)
		}
	}
}
