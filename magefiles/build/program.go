package build

import (
	"context"
	"os"
	"path/filepath"
	"sort"
)

// ExamplesDir is the folder, relative to the repository root, whose
// subfolders are example programs that use the host as a library.
const ExamplesDir = "host/examples"

// Program builds the main package in root/pkg as a program at root/out,
// with the settings of the host and the plugins. A program that loads
// plugins must be built this way: the Go runtime refuses a plugin built
// with other settings than the program that opens it.
func Program(ctx context.Context, root, pkg, out string) (Artifact, error) {
	return goBuild(ctx, root, out, nil, nil, "./"+filepath.ToSlash(pkg))
}

// Example builds the example program root/ExamplesDir/name at
// root/BinDir/examples/name.
func Example(ctx context.Context, root, name string) (Artifact, error) {
	return Program(ctx, root, filepath.Join(ExamplesDir, name), filepath.Join(BinDir, "examples", name))
}

// ExampleNames returns the names of the example programs: the folders
// under root/ExamplesDir, sorted.
func ExampleNames(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, ExamplesDir))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}
