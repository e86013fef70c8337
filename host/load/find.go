package load

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Discover returns the paths of the files in dir whose names end in ".so",
// sorted by name, so that plugins load in the same order on every run.
// Entries are not opened or checked: a folder named "x.so" or a file that is
// not a plugin is returned like any other and explained when it is loaded.
func Discover(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("discover plugins: %w", err)
	}
	var paths []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".so") {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(paths) // os.ReadDir sorts already; keep the promise explicit.
	return paths, nil
}

// NameFromPath returns a plugin's fallback name: its file name without the
// ".so" suffix.
func NameFromPath(path string) string {
	return strings.TrimSuffix(filepath.Base(path), ".so")
}

// UniquePaths returns paths without repeats of a file, first spelling
// first: the same file named twice would otherwise count as two plugins
// with the same main package path.
func UniquePaths(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		key := realPath(p)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, p)
	}
	return out
}
