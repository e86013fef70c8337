package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/logplug/logplug/host"
	"github.com/logplug/logplug/host/internal/jsonline"
)

// defaultMaxLine is the longest input line run accepts by default.
const defaultMaxLine = 16 << 20

func runCommand() *Command {
	var (
		hf      hostFlags
		maxLine int
	)
	return &Command{
		Name:      "run",
		UsageLine: "logplug run [plugin flags] [--max-line BYTES]",
		Short:     "send each line of standard input to every plugin",
		Long: `
Run loads the plugins, then reads standard input line by line until it ends
and sends each line to every plugin.

A line that is a JSON object becomes one message: its "level" field is the
level (debug, info, warn, error or log; without it, info; a level it does not
know goes to the plugins' Log method and stays a label), its "msg" field, or
else its "message" field, is the text, and every other field is a label
(strings as they are, numbers, true, false and null as written, objects and
arrays as compact JSON). Any other line is the text of a message at level
info, byte for byte.

A line ends at a newline; a carriage return before it is dropped, and so is
an empty line. A last line without a newline is sent like any other. A line
longer than --max-line bytes is not sent: it is reported with its line
number and counted, and run goes on with the next line.

At the end of input run flushes and closes every plugin and prints what each
received and delivered to standard error. It fails (exit status 1) when no
plugin loaded, a line was too long, a message was not delivered, or a
plugin's Flush or Close failed.` + pluginFlagsHelp,
		setFlags: func(fs *flag.FlagSet) {
			hf.register(fs)
			fs.IntVar(&maxLine, "max-line", defaultMaxLine, "skip and report input lines longer than `BYTES`")
		},
		Run: func(ctx context.Context, c *Command, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected arguments %q; run reads standard input", args)
			}
			if maxLine <= 0 {
				return usagef("--max-line must be positive")
			}
			hf.flushWhenIdle = true // feed calls h.Idle
			setRunGC()
			h, err := hf.open(c.stderr)
			if err != nil {
				return err
			}
			tooLong, readErr := feed(h, c.stdin, maxLine, c.stderr)
			err = shutdown(h, c.stderr, true)
			if tooLong > 0 {
				err = errors.Join(fmt.Errorf("%d input lines longer than %d bytes were skipped (raise --max-line)", tooLong, maxLine), err)
			}
			if readErr != nil {
				err = errors.Join(fmt.Errorf("read standard input: %w", readErr), err)
			}
			return err
		},
	}
}

// feed sends each line of r to h and returns the number of lines skipped
// for being longer than maxLine. Whenever it has sent every line that has
// arrived and must wait for more, it calls h.Idle, so that no plugin holds a
// line while the input is idle.
func feed(h *host.Host, r io.Reader, maxLine int, stderr io.Writer) (tooLong int, err error) {
	lines := newLineReader(newIdleReader(r, idleFlusher(h, stderr)), maxLine)
	var rec jsonline.Record
	for {
		line, err := lines.next()
		if errors.Is(err, errLineTooLong) {
			tooLong++
			fmt.Fprintf(stderr, "%s: input line %d: longer than %d bytes, skipped\n", progName, lines.n, maxLine)
			continue
		}
		if err == io.EOF {
			return tooLong, nil
		}
		if err != nil {
			return tooLong, err
		}
		if len(line) == 0 {
			continue
		}
		jsonline.Parse(string(line), &rec)
		h.Send(rec.Level, rec.Msg, rec.Labels)
	}
}

var errLineTooLong = errors.New("line too long")

// lineReader splits its input into lines without their "\n" or "\r\n"
// endings, accepting lines of up to max bytes.
type lineReader struct {
	r    *bufio.Reader
	max  int
	long []byte // accumulates a line longer than the reader's buffer
	n    int    // number of the line last returned
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line, valid until the following call; io.EOF at the
// end of input; or errLineTooLong for a line longer than max, which it
// skips.
func (l *lineReader) next() ([]byte, error) {
	l.n++
	line, err := l.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = l.r.ReadSlice('\n')
			if len(l.long) <= l.max {
				l.long = append(l.long, line...)
			}
		}
		line = l.long
	}
	if err != nil && err != io.EOF {
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

// shutdown closes the host and reports what each plugin received. With
// report false it prints counts only for plugins that lost messages.
func shutdown(h *host.Host, stderr io.Writer, report bool) error {
	closeErr := h.Close()
	var lost uint64
	for _, s := range h.Plugins() {
		if !s.Loaded() {
			continue
		}
		c := s.Counts
		lost += c.Lost()
		if report || c.Lost() > 0 {
			fmt.Fprintf(stderr, "%s: %s: received %d, delivered %d, dropped %d, panics %d, errors %d\n",
				progName, s.Name, c.Received, c.Delivered, c.Dropped, c.Panics, c.Errors)
		}
	}
	var err error
	if lost > 0 {
		err = fmt.Errorf("%d messages were not delivered", lost)
	}
	if closeErr != nil {
		err = errors.Join(err, closeErr)
	}
	return err
}
