package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/logplug/logplug/host"
	"github.com/logplug/logplug/host/trust"
)

func pinCommand() *Command {
	var dir, out string
	return &Command{
		Name:      "pin",
		UsageLine: "logplug pin [--plugins DIR] [-o FILE]",
		Short:     "write the SHA-256 of every plugin, for --pins",
		Long: `
Pin writes a line "SHA256  NAME" for each *.so file in the plugin folder, in
the format sha256sum prints, with names relative to the folder. Give the
result to run, emit or list with --pins FILE, and they load only those
files, with those exact bytes:

	logplug pin --plugins /srv/plugins -o /etc/logplug/pins
	logplug run --plugins /srv/plugins --pins /etc/logplug/pins

Pin the files you have checked, and keep the pins file where only root or
you can change it (logplug refuses a pins file others could change). In the
plugin folder, "sha256sum -c FILE" checks the same pins, and "sha256sum
*.so" writes a pins file too.`,
		setFlags: func(fs *flag.FlagSet) {
			def := os.Getenv(pluginsEnv)
			if def == "" {
				def = defaultPluginDir
			}
			fs.StringVar(&dir, "plugins", def, "pin every `DIR`/*.so; $"+pluginsEnv+" sets the default")
			fs.StringVar(&out, "o", "", "write the pins to `FILE` instead of standard output")
		},
		Run: func(ctx context.Context, c *Command, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected arguments %q; pin hashes every .so file of --plugins DIR", args)
			}
			paths, err := host.Discover(dir)
			if err != nil {
				return err
			}
			if len(paths) == 0 {
				return fmt.Errorf("no plugins: %s holds no .so file", dir)
			}
			var pins []trust.Pin
			for _, p := range paths {
				d, err := trust.HashFile(p)
				if err != nil {
					return err
				}
				pins = append(pins, trust.Pin{Name: filepath.Base(p), Digest: d})
			}
			var buf bytes.Buffer
			if err := trust.WritePins(&buf, pins); err != nil {
				return err
			}
			if out == "" {
				_, err := c.stdout.Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "wrote %s: %d pins for the plugins of %s\n", out, len(pins), dir)
			return nil
		},
	}
}
