package load

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// initPanicPackage returns the import path of the package whose init
// function panicked, from the stack of the panicking goroutine as
// runtime/debug.Stack prints it: the package of the function that
// plugin.open called (through the runtime's doInit and doInit1, which the
// stack shows only with GOTRACEBACK=system). It returns "" when the stack
// has no such frame.
func initPanicPackage(stack []byte) string {
	var prev string // the last function line seen
	sc := bufio.NewScanner(bytes.NewReader(stack))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '\t' || strings.HasPrefix(line, "goroutine ") {
			continue
		}
		if strings.HasPrefix(line, "runtime.doInit1(") || strings.HasPrefix(line, "plugin.open(") {
			return funcPackage(prev)
		}
		prev = line
	}
	return ""
}

// funcPackage returns the import path of the package of a function as a
// stack trace names it, such as "example.com/x/y.init.0()" or
// "gopkg.in/yaml%2ev3.init()": everything before the first dot after the
// last slash, with %xx escapes undone.
func funcPackage(frame string) string {
	name := frame
	if i := strings.LastIndexByte(name, '('); i > 0 && strings.HasSuffix(name, ")") {
		name = name[:i]
	}
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return ""
	}
	return unescape(name[:slash+1+dot])
}

// unescape undoes the linker's %xx escapes in a symbol name.
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
