package host

import (
	"runtime/debug"
	"testing"
)

func TestPluginBuildCommand(t *testing.T) {
	settings := func(kv ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{}
		for i := 0; i < len(kv); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return info
	}
	tests := []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"defaults", settings("GOOS", "linux", "GOARCH", "amd64", "-compiler", "gc", "CGO_ENABLED", "1"),
			"CGO_ENABLED=1 go build -buildmode=plugin -o NAME.so ."},
		{"trimpath and arch level", settings("-trimpath", "true", "GOAMD64", "v3", "CGO_ENABLED", "1", "-ldflags", "-s -w"),
			"GOAMD64=v3 CGO_ENABLED=1 go build -buildmode=plugin -trimpath -o NAME.so ."},
		{"race and tags", settings("-race", "true", "-tags", "netgo,osusergo", "-gcflags", "all=-N -l", "CGO_ENABLED", "1"),
			"CGO_ENABLED=1 go build -buildmode=plugin -race -tags=netgo,osusergo -gcflags='all=-N -l' -o NAME.so ."},
		{"a false flag is left out", settings("-trimpath", "false"), "go build -buildmode=plugin -o NAME.so ."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PluginBuildCommand(tt.info); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
