package build

import "context"

// ProgramAt builds the main package pkg (a path such as "./cmd/x",
// relative to dir) as an ordinary program at out, with the host's settings
// and the extra environment variables given (GOWORK=off, say, for a module
// outside the workspace), so that it can load plugins that Plugin or
// PluginAt build. The go command runs in dir; out may be relative to it.
func ProgramAt(ctx context.Context, dir, pkg, out string, extraEnv []string) (Artifact, error) {
	return goBuild(ctx, dir, out, extraEnv, nil, pkg)
}

// TestBinary compiles the tests of package pkg (relative to dir) into the
// test binary out, with the host's settings and the extra environment
// variables and flags given (-overlay, say), so that the tests and
// benchmarks in it can load plugins that Plugin or PluginAt build: an
// ordinary `go test` binary, built without those settings, can't. Vet is
// off, as for any binary built only to be run. The go command runs in dir;
// out may be relative to it.
func TestBinary(ctx context.Context, dir, pkg, out string, extraEnv, extraFlags []string) (Artifact, error) {
	return goCommand(ctx, "test", dir, out, extraEnv, append([]string{"-c", "-vet=off"}, extraFlags...), pkg)
}
