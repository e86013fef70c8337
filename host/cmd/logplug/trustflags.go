package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/logplug/logplug/host"
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

// apply sets the options the flags give, reading the pins file and the
// public keys after checking that nobody but root and this user can change
// them: whoever could change them could choose the plugins.
func (f *trustFlags) apply(opts *host.Options, stderr io.Writer) error {
	opts.InsecurePermissions = f.insecure
	opts.FollowSymlinks = f.follow
	checker := trust.NewChecker(os.Geteuid())
	if f.pins != "" {
		if err := f.check(checker, "pins file", f.pins, stderr); err != nil {
			return err
		}
		pins, err := trust.ReadPinsFile(f.pins)
		if err != nil {
			return err
		}
		opts.Pins = pins
	}
	for _, name := range f.keys {
		if err := f.check(checker, "public key", name, stderr); err != nil {
			return err
		}
		key, err := trust.ReadPublicKeyFile(name)
		if err != nil {
			return err
		}
		opts.TrustedKeys = append(opts.TrustedKeys, key)
	}
	return nil
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
