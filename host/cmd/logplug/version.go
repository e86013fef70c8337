package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/logplug/logplug/host"
)

func versionCommand() *Command {
	return &Command{
		Name:      "version",
		UsageLine: "logplug version",
		Short:     "print the host's version and the settings plugins must be built with",
		Long: `
Version prints the host's version, the Go version and platform it was built
with, its build settings, and the exact command that builds a plugin that
loads into it. A plugin must be built with the same Go version, the same
settings and the same version of every module it shares with the host.`,
		Run: func(ctx context.Context, c *Command, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected arguments %q", args)
			}
			info, ok := debug.ReadBuildInfo()
			if !ok {
				return errors.New("this binary carries no build information")
			}
			fmt.Fprintf(c.stdout, "logplug %s\n", host.Version)
			fmt.Fprintf(c.stdout, "go:       %s\n", info.GoVersion)
			fmt.Fprintf(c.stdout, "platform: %s/%s\n", runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(c.stdout, "settings:")
			for _, s := range host.CompatibilitySettings(info) {
				fmt.Fprintf(c.stdout, " %s=%s", s.Key, s.Value)
			}
			fmt.Fprintf(c.stdout, "\n\nBuild a plugin that loads into this host, with %s, in its main package's folder:\n\n", info.GoVersion)
			fmt.Fprintf(c.stdout, "  %s\n", host.PluginBuildCommand(info))
			return nil
		},
	}
}
