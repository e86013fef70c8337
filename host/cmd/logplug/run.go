package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/logplug/logplug/host"
)

// defaultMaxLine is the longest input line run accepts by default.
const defaultMaxLine = 16 << 20

func runCommand() *Command {
	var (
		hf      hostFlags
		df      deliveryFlags
		maxLine int
	)
	hf.delivery = &df
	return &Command{
		Name:      "run",
		UsageLine: "logplug run [plugin flags] [delivery flags] [--max-line BYTES]",
		Short:     "send each line of standard input to every plugin",
		Long: `
Run loads the plugins, then reads standard input line by line until it ends
and sends each line to every plugin.

A line that is a JSON object becomes one message: its "level" field is the
level (debug, info, warn, error or log; without it, info; a level it does not
know goes to the plugins' Log method and stays a label), its "msg" field, or
else its "message" field, is the text, and every other field is a label
(strings as they are, numbers, true, false and null as written, objects and
arrays as compact JSON). Any other line, invalid JSON included, is the text
of a message at level info, byte for byte: invalid UTF-8 and NUL bytes are
kept.

A line ends at a newline; a carriage return before it is dropped, and an
empty line is skipped (and counted). A last line without a newline is sent
like any other. A line longer than --max-line bytes is not sent, nor cut: it
is reported with its line number and counted, run goes on with the next
line, and the run fails.

At the end of input, or at the first SIGINT or SIGTERM, run stops reading
and delivers every whole line it has taken from its input (it takes no
more: a read waiting on a pipe is cut short, and a line begun is read to
its end), calls each plugin's Flush and then Close, giving each the time
it needs while it makes progress (see --stall-timeout and
--shutdown-timeout), and prints to standard error how many lines it read
and, for each plugin, how many messages it received, delivered, failed to
write, dropped and lost, and how many panics and errors it had. A second
SIGINT or SIGTERM (or a first once the input has ended) exits at once,
printing the same, with what was not delivered yet as lost, and the lines
and bytes taken from the input and not sent.

SIGHUP makes the plugins that write files close them and open them again
by their paths, in order with the messages, for log rotators such as
logrotate. A closed output (a pipe whose reader is gone) fails the writes
of the plugin that writes to it, which is stopped after 1000 failures in a
row; it does not end run.

Run fails (exit status 1) when no plugin loaded, a line was too long, a
message accepted was not delivered to every plugin or not written (dropped,
lost to a panic or a failed write, or left with a plugin that was stuck),
a second signal left input not sent, or a plugin's Flush or Close failed or
did not return in time. Otherwise its exit status is 0, after a
signal too.` + deliveryFlagsHelp + pluginFlagsHelp,
		setFlags: func(fs *flag.FlagSet) {
			hf.register(fs)
			df.register(fs)
			fs.IntVar(&maxLine, "max-line", defaultMaxLine, "skip and report input lines longer than `BYTES`")
		},
		Run: func(ctx context.Context, c *Command, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected arguments %q; run reads standard input", args)
			}
			if maxLine <= 0 {
				return usagef("--max-line must be positive")
			}
			if err := df.check(); err != nil {
				return err
			}
			hf.flushWhenIdle = true // feed calls h.Idle
			setRunGC()
			hangups, stopHangups := notifyHangups() // before loading, so that none is missed
			defer stopHangups()
			h, err := hf.open(c.stderr)
			if err != nil {
				return err
			}
			df.warnUnknown(c.stderr, h.Plugins())
			done := make(chan struct{})
			defer close(done)
			go reopenOnHangup(h, hangups, done, c.stderr)
			awaitInterrupts(ctx) // before the first line is read
			stdin, restore := interruptibleStdin(c.stdin)
			defer restore()
			return feedAndShutdown(ctx, h, newFeeder(h, stdin, maxLine, c.stderr), c.stderr)
		},
	}
}

// reopenOnHangup asks the plugins to reopen their files (see
// host.Host.Reopen) for each value hangups gets, reporting each time on
// stderr, until done is closed.
func reopenOnHangup(h *host.Host, hangups <-chan os.Signal, done <-chan struct{}, stderr io.Writer) {
	for {
		select {
		case <-done:
			return
		case <-hangups:
		}
		if err := h.Reopen(); err != nil {
			fmt.Fprintf(stderr, "%s: SIGHUP: reopening files: %v\n", progName, err)
			continue
		}
		fmt.Fprintf(stderr, "%s: SIGHUP: the plugins that write files reopened them\n", progName)
	}
}

// feedAndShutdown reads the input until it ends, or, after a signal
// (ctx cancelled), until every whole line already taken from it is sent;
// then it closes the host and reports. A second signal (see hardStop)
// makes it report and return without waiting, saying what was taken from
// the input and not sent, and what the plugins did not get.
func feedAndShutdown(ctx context.Context, h *host.Host, f *feeder, stderr io.Writer) error {
	read := make(chan error, 1)
	go func() { read <- f.run() }()
	var readErr error
	how := ""
	select {
	case readErr = <-read:
	case <-ctx.Done():
		how = " before " + context.Cause(ctx).Error()
		fmt.Fprintf(stderr, "%s: %v: reading no more input, delivering the lines already read (a second signal exits at once)\n", progName, context.Cause(ctx))
		f.in.stop()
		select {
		case readErr = <-read:
		case <-hardStop(ctx):
			return abandon(h, f, stderr, how)
		}
	}

	// Once shutting down, a signal (the second, or the first if the
	// input ended) means: do not wait.
	now := hardStop(ctx)
	if how == "" {
		now = ctx.Done()
	}
	closed := make(chan error, 1)
	go func() { closed <- h.Close() }()
	var closeErr error
	select {
	case closeErr = <-closed:
	case <-now:
		return abandon(h, f, stderr, how)
	}
	f.stop()
	fmt.Fprintf(stderr, "%s: input: %s\n", progName, f.summary(how))
	err := result(report(h, stderr, true), closeErr)
	if n := f.counts.tooLong.Load(); n > 0 {
		err = errors.Join(fmt.Errorf("%d input lines longer than %d bytes were skipped (raise --max-line)", n, f.maxLine), err)
	}
	if untaken := f.untakenSummary(); untaken != "" {
		// Only a part of a line cut short by the signal, which run took
		// while it waited for the rest of it.
		fmt.Fprintf(stderr, "%s: input: %s\n", progName, untaken)
		err = errors.Join(errors.New(untaken), err)
	}
	if readErr != nil {
		err = errors.Join(fmt.Errorf("read standard input: %w", readErr), err)
	}
	return err
}

// abandon is run's exit at a second signal: it stops the reading without
// waiting for the plugins, and reports what was taken from the input and
// not sent, and what each plugin did not get.
func abandon(h *host.Host, f *feeder, stderr io.Writer, how string) error {
	fmt.Fprintf(stderr, "%s: signal during shutdown: exiting without waiting for the plugins\n", progName)
	exact := f.in.halt()
	fmt.Fprintf(stderr, "%s: input: %s\n", progName, f.summary(how))
	untaken := f.untakenSummary()
	if untaken != "" {
		fmt.Fprintf(stderr, "%s: input: %s\n", progName, untaken)
	}
	if !exact {
		fmt.Fprintf(stderr, "%s: input: a read of standard input was under way, and what it takes is lost: only a read from a pipe or socket can be cut short\n", progName)
	}
	lost := report(h, stderr, true)
	err := fmt.Errorf("interrupted during shutdown: %d messages were not delivered, and the plugins may not have flushed or closed", lost)
	if untaken != "" {
		err = fmt.Errorf("interrupted: %s; %d messages sent were not delivered, and the plugins may not have flushed or closed", untaken, lost)
	}
	return err
}

var errLineTooLong = errors.New("line too long")

// lineReader splits its input into lines without their "\n" or "\r\n"
// endings, accepting lines of up to max bytes.
type lineReader struct {
	r        *bufio.Reader
	max      int
	long     []byte // accumulates a line longer than the reader's buffer
	n        int    // number of the line last returned
	lastByte byte   // of the input of the line last returned
	raw      int    // bytes of input the line last returned took, ending included
}

// endedLine reports whether the line last returned ended with a newline
// (rather than at the end of input).
func (l *lineReader) endedLine() bool { return l.raw > 0 && l.lastByte == '\n' }

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line, valid until the following call; io.EOF at the
// end of input; or errLineTooLong for a line longer than max, which it
// skips. A part of a line followed by a read error is not returned.
func (l *lineReader) next() ([]byte, error) {
	l.n++
	line, err := l.r.ReadSlice('\n')
	l.took(line, true)
	if err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = l.r.ReadSlice('\n')
			l.took(line, false)
			if len(l.long) <= l.max {
				l.long = append(l.long, line...)
			}
		}
		line = l.long
	}
	if err != nil && err != io.EOF {
		l.n--
		return nil, err
	}
	if err == io.EOF && len(line) == 0 {
		l.n--
		return nil, io.EOF
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) > l.max {
		return nil, errLineTooLong
	}
	return line, nil
}

// took notes the input a piece of a line took, the first piece if first.
func (l *lineReader) took(piece []byte, first bool) {
	if first {
		l.raw = 0
	}
	l.raw += len(piece)
	if len(piece) > 0 {
		l.lastByte = piece[len(piece)-1]
	}
}

// shutdown closes the host and reports what each plugin received. With
// all false it prints counts only for plugins that lost messages.
func shutdown(h *host.Host, stderr io.Writer, all bool) error {
	closeErr := h.Close()
	return result(report(h, stderr, all), closeErr)
}

// report prints the counts of each plugin that loaded, or with all false
// of each that lost messages, and returns the number of messages lost.
func report(h *host.Host, stderr io.Writer, all bool) (lost uint64) {
	var stuck []string
	for _, s := range h.Plugins() {
		if !s.Loaded() {
			continue
		}
		c := s.Counts
		lost += c.Lost()
		if !all && c.Lost() == 0 {
			continue
		}
		state := ""
		switch {
		case errors.Is(s.Err, host.ErrQuarantined):
			state = " (quarantined)"
		case errors.Is(s.Err, host.ErrStuck):
			state = " (stuck)"
			stuck = append(stuck, s.Name)
		case errors.Is(s.Err, host.ErrFailing):
			state = " (failing)"
		}
		fmt.Fprintf(stderr, "%s: %s: received %d, delivered %d, failed %d, dropped %d, panics %d, errors %d, lost %d%s\n",
			progName, s.Name, c.Received, c.Delivered, c.Failed, c.Dropped, c.Panics, c.Errors, c.Lost(), state)
		if s.LatestFailure != nil {
			fmt.Fprintf(stderr, "%s: %s: latest failure: %v\n", progName, s.Name, s.LatestFailure)
		}
	}
	for _, name := range stuck {
		fmt.Fprintf(stderr, "%s: %s: to give a slow plugin more time, raise --stall-timeout (how long it may make no progress) or --shutdown-timeout (the longest the end may take)\n", progName, name)
	}
	return lost
}

// result is the error of a command that lost messages and got closeErr
// from Close.
func result(lost uint64, closeErr error) error {
	var err error
	if lost > 0 {
		err = fmt.Errorf("%d messages were not delivered", lost)
	}
	return errors.Join(err, closeErr)
}
