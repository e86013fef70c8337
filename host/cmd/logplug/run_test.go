package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLineReader(t *testing.T) {
	big := strings.Repeat("x", 200<<10) // longer than the reader's buffer
	tests := []struct {
		name  string
		input string
		max   int
		want  []string // "!" stands for errLineTooLong
	}{
		{"lines", "a\nb\n", 100, []string{"a", "b"}},
		{"CRLF", "a\r\nb\r\n", 100, []string{"a", "b"}},
		{"lone CR kept", "a\rb\n", 100, []string{"a\rb"}},
		{"empty lines", "\n\na\n", 100, []string{"", "", "a"}},
		{"no final newline", "a\nb", 100, []string{"a", "b"}},
		{"empty input", "", 100, nil},
		{"long line whole", big + "\nend\n", 1 << 20, []string{big, "end"}},
		{"too long", "ok\n" + big + "\nnext\n", 1000, []string{"ok", "!", "next"}},
		{"too long at end", "ok\n" + big, 1000, []string{"ok", "!"}},
		{"exactly max", "abc\nabcd\n", 3, []string{"abc", "!"}},
		{"NUL and invalid UTF-8", "a\x00\xffb\n", 100, []string{"a\x00\xffb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.input), iotest.OneByteReader(strings.NewReader(tt.input))} {
				lr := newLineReader(r, tt.max)
				var got []string
				for {
					line, err := lr.next()
					if err == io.EOF {
						break
					}
					if errors.Is(err, errLineTooLong) {
						got = append(got, "!")
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, string(line))
				}
				if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
					t.Errorf("lines = %.60q, want %.60q", got, tt.want)
				}
			}
		})
	}
}
