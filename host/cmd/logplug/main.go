// Command logplug sends log messages to logging plugins: Go plugins (.so
// files built with -buildmode=plugin) found in a folder.
//
// Usage:
//
//	logplug <command> [flags] [arguments]
//
// The commands are:
//
//	run      send each line of standard input to every plugin
//	emit     send one message to every plugin
//	list     list the plugins found and whether each loads
//	check    explain every plugin that can't load, without running any of its code
//	version  print the host's version and the settings plugins must be built with
//	pin      write the SHA-256 of every plugin, for --pins
//	keygen   make a key pair for signing plugins
//	sign     sign plugin files, for --trust
//
// Run `logplug help <command>` or `logplug <command> -h` for a command's
// flags.
//
// Exit status: 0 on success, 1 when the command failed, 2 for a usage
// error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// progName prefixes every message the program prints.
const progName = "logplug"

// A Command is one logplug subcommand, in the manner of the go command.
type Command struct {
	// Name is the word that selects the command.
	Name string
	// UsageLine is the one-line synopsis, starting with the program name.
	UsageLine string
	// Short is a one-line description, shown in the command list.
	Short string
	// Long is the full description, shown by -h.
	Long string
	// Flag holds the command's flags; setFlags registers them.
	Flag *flag.FlagSet
	// setFlags registers the command's flags before parsing, into
	// variables that Run's closure shares.
	setFlags func(fs *flag.FlagSet)
	// Run runs the command with the arguments left after the flags.
	Run func(ctx context.Context, c *Command, args []string) error

	// stdin, stdout and stderr are the command's streams.
	stdin          io.Reader
	stdout, stderr io.Writer
}

// usageError marks an error as a usage error (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usage error.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// commands returns the command table. It is built anew for every call of
// run, so that no flag state survives between runs (tests call run many
// times).
func commands() []*Command {
	return []*Command{runCommand(), emitCommand(), listCommand(), checkCommand(), versionCommand(),
		pinCommand(), keygenCommand(), signCommand()}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == probeCommand {
		os.Exit(probeMain(os.Args[2:])) // a child of `logplug check`
	}
	ignoreBrokenPipes()
	ctx, stop := notifyInterrupts(context.Background())
	code := runMain(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runMain runs logplug with args and returns the exit status.
func runMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 {
		printCommands(stderr, cmds)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && name == "help" {
			if c := find(cmds, args[1]); c != nil {
				c.stdout, c.stderr = stdout, stderr
				c.init()
				c.Flag.SetOutput(stdout)
				c.Flag.Usage()
				return 0
			}
			fmt.Fprintf(stderr, "%s help %s: unknown command\n", progName, args[1])
			return 2
		}
		printCommands(stdout, cmds)
		return 0
	}
	c := find(cmds, name)
	if c == nil {
		fmt.Fprintf(stderr, "%s %s: unknown command\nRun '%s help' for usage.\n", progName, name, progName)
		return 2
	}
	c.stdin, c.stdout, c.stderr = stdin, stdout, stderr
	c.init()
	err := c.parse(args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = c.Run(ctx, c, c.Flag.Args())
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s %s: %v\nusage: %s\nRun '%s %s -h' for details.\n", progName, c.Name, err, c.UsageLine, progName, c.Name)
		return 2
	default:
		fmt.Fprintf(stderr, "%s %s: %v\n", progName, c.Name, err)
		return 1
	}
}

// init makes the command's flag set.
func (c *Command) init() {
	fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: %s\n\n%s\n", c.UsageLine, strings.TrimSpace(c.Long))
		if hasFlags(fs) {
			fmt.Fprintf(w, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	c.Flag = fs
	if c.setFlags != nil {
		c.setFlags(fs)
	}
}

// parse parses the command's flags. -h and -help print the usage to
// stdout and return flag.ErrHelp; a bad flag is a usage error.
func (c *Command) parse(args []string) error {
	usage := c.Flag.Usage
	c.Flag.Usage = func() {} // printed below, to the right stream
	c.Flag.SetOutput(io.Discard)
	err := c.Flag.Parse(args)
	c.Flag.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.Flag.SetOutput(c.stdout)
		c.Flag.Usage()
		return err
	case err != nil:
		return usageError{err}
	}
	return nil
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

func find(cmds []*Command, name string) *Command {
	for _, c := range cmds {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func printCommands(w io.Writer, cmds []*Command) {
	fmt.Fprintf(w, "%s sends log messages to logging plugins (Go .so files).\n\nUsage:\n\n\t%s <command> [flags] [arguments]\n\nThe commands are:\n\n", progName, progName)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, c := range cmds {
		fmt.Fprintf(tw, "\t%s\t%s\n", c.Name, c.Short)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRun '%s <command> -h' for a command's flags and details.\n", progName)
}
