package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/logplug/logplug/host"
	"github.com/logplug/logplug/host/load"
	"github.com/logplug/logplug/host/trust"
)

// trustFlagsHelp explains the flags of trustFlags, for the help of each
// command that loads plugins.
const trustFlagsHelp = "\n\n" + `A plugin runs with all of logplug's rights, so a plugin is refused, and
never opened, when someone other than root or you could change it: when it,
or a folder on the way to it, is writable by group or others (a folder with
the sticky bit, such as /tmp, is allowed), or is owned by another user; and
when it is a symlink to a file outside the plugin folder. Each refusal is
one line with the fix. --insecure-permissions and --follow-symlinks lift
those rules. --pins FILE refuses every plugin whose SHA-256 is not the one
FILE gives (sha256sum format; logplug pin writes it), and each --trust
PUBKEY refuses every plugin without a signature FILE.so.sig by one of the
keys (logplug keygen and logplug sign make them).`

// trustFlags are the flags that say which plugin files may be opened.
type trustFlags struct {
	insecure bool
	follow   bool
	pins     string
	keys     stringsFlag
}

func (f *trustFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.insecure, "insecure-permissions", false, "load plugins that someone other than root or you could change, with a warning for each")
	fs.BoolVar(&f.follow, "follow-symlinks", false, "load plugins that are symlinks to files outside the plugin folder")
	fs.StringVar(&f.pins, "pins", "", "load only plugins whose SHA-256 `FILE` gives (sha256sum format, names relative to the plugin folder)")
	fs.Var(&f.keys, "trust", "load only plugins signed (FILE.so.sig) by the key in `PUBKEY` or another --trust key (repeatable)")
}

// commandHints name the command's flags and subcommands in the fixes of
// the load pipeline's errors, where the library names its Options.
var commandHints = load.Hints{
	InsecurePermissions: "--insecure-permissions",
	FollowSymlinks:      "--follow-symlinks",
	Pin:                 progName + " pin",
	Sign:                func(path string) string { return "sign it with a trusted key: " + progName + " sign --key KEY " + path },
}

// options returns the trust options the flags give, for plugins in dir,
// reading the pins file and the public keys after checking that nobody but
// root and this user can change them: whoever could change them could
// choose the plugins. Warnings go to stderr.
func (f *trustFlags) options(dir string, stderr io.Writer) (load.Options, error) {
	opts := load.Options{
		Dir:                 dir,
		InsecurePermissions: f.insecure,
		FollowSymlinks:      f.follow,
		Warnings:            log.New(stderr, progName+": ", 0),
		Hints:               commandHints,
	}
	checker := trust.NewChecker(os.Geteuid())
	if f.pins != "" {
		if err := f.check(checker, "pins file", f.pins, stderr); err != nil {
			return load.Options{}, err
		}
		pins, err := trust.ReadPinsFile(f.pins)
		if err != nil {
			return load.Options{}, err
		}
		opts.Pins = pins
	}
	for _, name := range f.keys {
		if err := f.check(checker, "public key", name, stderr); err != nil {
			return load.Options{}, err
		}
		key, err := trust.ReadPublicKeyFile(name)
		if err != nil {
			return load.Options{}, err
		}
		opts.TrustedKeys = append(opts.TrustedKeys, key)
	}
	return opts, nil
}

// apply sets the trust fields of opts as the flags say (see options).
func (f *trustFlags) apply(opts *host.Options, stderr io.Writer) error {
	lo, err := f.options(opts.Dir, stderr)
	if err != nil {
		return err
	}
	opts.InsecurePermissions, opts.FollowSymlinks = lo.InsecurePermissions, lo.FollowSymlinks
	opts.Pins, opts.TrustedKeys, opts.Hints = lo.Pins, lo.TrustedKeys, lo.Hints
	return nil
}

// args returns the flags as arguments, to pass them on to a child process.
func (f *trustFlags) args() []string {
	var args []string
	if f.insecure {
		args = append(args, "--insecure-permissions")
	}
	if f.follow {
		args = append(args, "--follow-symlinks")
	}
	if f.pins != "" {
		args = append(args, "--pins", f.pins)
	}
	for _, k := range f.keys {
		args = append(args, "--trust", k)
	}
	return args
}

// check refuses a file that fails the permission check, or warns about it
// with --insecure-permissions. Other errors are left to the read that
// follows.
func (f *trustFlags) check(c *trust.Checker, what, name string, stderr io.Writer) error {
	_, err := c.Check(name)
	var pe *trust.PermissionError
	switch {
	case !errors.As(err, &pe):
		return nil
	case f.insecure:
		fmt.Fprintf(stderr, "%s: %s %s: warning: %v; used anyway (--insecure-permissions); fix: %s\n", progName, what, name, pe, pe.Fix)
		return nil
	}
	return fmt.Errorf("%s %s: refused: %v; fix: %s (or --insecure-permissions)", what, name, pe, pe.Fix)
}
