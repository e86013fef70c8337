//go:build !unix

package harness

import "os"

// maxRSS returns 0: the system does not report a process's peak memory.
func maxRSS(*os.ProcessState) int64 { return 0 }
