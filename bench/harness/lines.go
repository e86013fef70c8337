package harness

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"time"
)

// writeLines writes n JSON log lines of about 150 bytes to the file at
// path: "time", "level" and "msg", then three labels, as a service's request
// log has them. The lines are the same on every run.
func writeLines(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	if err := appendLines(w, n); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var (
	lineLevels = []string{"info", "info", "info", "debug", "warn", "error", "info"}
	lineMsgs   = []string{"request handled", "cache miss", "user logged in", "slow query", "retrying upstream call"}
)

// appendLines writes n lines to w.
func appendLines(w *bufio.Writer, n int) error {
	start := time.Date(2025, 11, 25, 17, 0, 0, 0, time.UTC)
	var b []byte
	for i := range n {
		b = append(b[:0], `{"time":"`...)
		b = start.Add(time.Duration(i)*1234567).AppendFormat(b, "2006-01-02T15:04:05.000000000Z07:00")
		b = append(b, `","level":"`...)
		b = append(b, lineLevels[i%len(lineLevels)]...)
		b = append(b, `","msg":"`...)
		b = append(b, lineMsgs[i%len(lineMsgs)]...)
		b = append(b, `","service":"checkout","request_id":"`...)
		b = fmt.Appendf(b, "%016x", uint64(i)*0x9e3779b97f4a7c15)
		b = append(b, `","user":"user-`...)
		b = append(b, strconv.Itoa(10000+i%90000)...)
		b = append(b, "\"}\n"...)
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
