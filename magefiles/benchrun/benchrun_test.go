package benchrun

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/logplug/logplug/magefiles/build"
)

func TestSettingsFromEnv(t *testing.T) {
	tests := []struct {
		short, keep string
		want        Settings
	}{
		{"", "", Settings{}},
		{"1", "", Settings{Short: true}},
		{"", "yes", Settings{Keep: true}},
		{"1", "1", Settings{Short: true, Keep: true}},
	}
	for _, tt := range tests {
		t.Setenv(shortEnv, tt.short)
		t.Setenv(keepEnv, tt.keep)
		if got := SettingsFromEnv(); got != tt.want {
			t.Errorf("%s=%q %s=%q: SettingsFromEnv() = %+v, want %+v", shortEnv, tt.short, keepEnv, tt.keep, got, tt.want)
		}
	}
}

// TestArgs checks that the harness gets the build flags of package build,
// with $LOGPLUG_GOFLAGS, and the paths that package build writes.
func TestArgs(t *testing.T) {
	t.Setenv("LOGPLUG_GOFLAGS", "-race  -tags=x")
	root := filepath.FromSlash("/repo")
	tests := []struct {
		s    Settings
		want []string
	}{
		{Settings{}, []string{"-o", filepath.Join(root, "BENCHMARKS.md")}},
		{Settings{Short: true}, []string{"-o", filepath.Join(root, "bin", "bench", "BENCHMARKS-short.md"), "-short"}},
		{Settings{Keep: true}, []string{"-o", filepath.Join(root, "BENCHMARKS.md"), "-keep"}},
	}
	for _, tt := range tests {
		got := Args(root, tt.s)
		common := []string{"run", "./cmd/bench",
			"-root", root,
			"-host", filepath.Join(root, "bin", "logplug"),
			"-plugins", filepath.Join(root, "bin", "plugins"),
			"-outdir", filepath.Join(root, "bin", "bench"),
			"-goflags=" + strings.Join(append(slices.Clone(build.Flags), "-race", "-tags=x"), " "),
		}
		if want := append(common, tt.want...); !slices.Equal(got, want) {
			t.Errorf("Args(%+v) =\n%q\nwant\n%q", tt.s, got, want)
		}
	}
}
