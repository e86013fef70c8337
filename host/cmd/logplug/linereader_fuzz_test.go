package main

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// FuzzLineReader checks the line splitter of run against a plain
// definition: lines end at "\n", one "\r" before it is dropped, a last line
// without "\n" counts, and a line longer than max is reported, not cut.
func FuzzLineReader(f *testing.F) {
	for _, seed := range []struct {
		in  string
		max uint8
	}{
		{"a\nb\n", 10}, {"a\r\nb", 10}, {"\n\n\r\n", 1}, {"abc\nabcd\n", 3}, {"x\r\r\n", 1},
		{"\x00\xff\n{\"a\":1}\r", 5}, {"", 0}, {"\r", 0},
	} {
		f.Add([]byte(seed.in), seed.max)
	}
	f.Fuzz(func(t *testing.T, in []byte, max uint8) {
		var want []string
		rest := in
		for len(rest) > 0 {
			line, after, found := bytes.Cut(rest, []byte("\n"))
			rest = after
			if !found {
				rest = nil
			}
			line = bytes.TrimSuffix(line, []byte("\r"))
			if len(line) > int(max) {
				want = append(want, "!")
			} else {
				want = append(want, "="+string(line))
			}
		}
		for _, r := range []io.Reader{bytes.NewReader(in), iotest.OneByteReader(bytes.NewReader(in))} {
			lr := newLineReader(r, int(max))
			var got []string
			for {
				line, err := lr.next()
				if err == io.EOF {
					break
				}
				switch {
				case errors.Is(err, errLineTooLong):
					got = append(got, "!")
				case err != nil:
					t.Fatal(err)
				default:
					got = append(got, "="+string(line))
				}
			}
			if len(got) != len(want) {
				t.Fatalf("lines of %q (max %d) = %q, want %q", in, max, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("lines of %q (max %d) = %q, want %q", in, max, got, want)
				}
			}
			if lr.n != len(want) {
				t.Fatalf("line number after %q = %d, want %d", in, lr.n, len(want))
			}
		}
	})
}
