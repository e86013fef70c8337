package host

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/logplug/logplug/host/plugincheck"
)

// BuildSetting is one build setting from a binary's build information.
type BuildSetting struct {
	// Key is the setting's name, such as "GOAMD64" or "-trimpath".
	Key string
	// Value is its value, such as "v1" or "true".
	Value string
}

// CompatibilitySettings returns the settings of info that a plugin must
// share with the binary info describes (see [plugincheck.SettingKeys]), in
// a fixed order.
func CompatibilitySettings(info *debug.BuildInfo) []BuildSetting {
	var out []BuildSetting
	for _, key := range plugincheck.SettingKeys {
		for _, s := range info.Settings {
			if s.Key == key {
				out = append(out, BuildSetting{s.Key, s.Value})
			}
		}
	}
	return out
}

// PluginBuildCommand returns the command that builds, in the current
// folder, a plugin that loads into the binary info describes, for example
//
//	CGO_ENABLED=1 GOAMD64=v1 go build -buildmode=plugin -trimpath -o NAME.so .
//
// It does not name the Go version; build with the one info names.
func PluginBuildCommand(info *debug.BuildInfo) string {
	var env, flags []string
	for _, s := range CompatibilitySettings(info) {
		switch {
		case s.Key == "GOOS" || s.Key == "GOARCH" || s.Key == "-compiler":
			// The defaults of a native build with the gc compiler.
		case !strings.HasPrefix(s.Key, "-"):
			env = append(env, s.Key+"="+s.Value)
		case s.Value == "true":
			flags = append(flags, s.Key)
		case s.Value != "false":
			flags = append(flags, fmt.Sprintf("%s=%s", s.Key, quoteIfNeeded(s.Value)))
		}
	}
	cmd := append(env, "go", "build", "-buildmode=plugin")
	cmd = append(cmd, flags...)
	cmd = append(cmd, "-o", "NAME.so", ".")
	return strings.Join(cmd, " ")
}

// quoteIfNeeded quotes a flag value for a POSIX shell when it holds spaces
// or shell metacharacters.
func quoteIfNeeded(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\n'\"\\$`|&;<>()*?[]#~") {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
