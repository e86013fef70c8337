package api

import (
	"errors"
	"testing"
)

func TestUnknownSetting(t *testing.T) {
	fileKeys := []string{"path", "format", "mode", "max_size_mb", "max_backups"}
	tests := []struct {
		key   string
		known []string
		want  string
	}{
		{"maxsize", fileKeys, `setting maxsize="v": unknown key; did you mean max_size_mb? (the keys are format, max_backups, max_size_mb, mode and path)`},
		{"pth", fileKeys, `setting pth="v": unknown key; did you mean path? (the keys are format, max_backups, max_size_mb, mode and path)`},
		{"Format", fileKeys, `setting Format="v": unknown key; did you mean format? (the keys are format, max_backups, max_size_mb, mode and path)`},
		{"colour", fileKeys, `setting colour="v": unknown key (the keys are format, max_backups, max_size_mb, mode and path)`},
		{"x", []string{"output"}, `setting x="v": unknown key (the key is output)`},
		{"x", nil, `setting x="v": unknown key: the plugin takes no settings`},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			err := UnknownSetting(tt.key, "v", tt.known)
			if err.Error() != tt.want {
				t.Errorf("UnknownSetting(%q) =\n%s\nwant\n%s", tt.key, err, tt.want)
			}
			if !errors.Is(err, ErrUnknownSetting) {
				t.Errorf("UnknownSetting(%q) does not wrap ErrUnknownSetting", tt.key)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "ab", 2}, {"kitten", "sitting", 3}, {"maxsize", "maxsizemb", 2},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

type keyLister struct{ Logger }

func (keyLister) SettingKeys() []string { return []string{"path", "max_size_mb"} }

func TestCheckSettingKeys(t *testing.T) {
	tests := []struct {
		l        Logger
		settings map[string]string
		want     string
	}{
		{keyLister{}, map[string]string{"path": "x"}, ""},
		{keyLister{}, map[string]string{"path": "x", "maxsize": "3"}, `setting maxsize="3": unknown key; did you mean max_size_mb? (the keys are max_size_mb and path)`},
		{keyLister{}, nil, ""},
		{struct{ Logger }{}, map[string]string{"maxsize": "3"}, ""}, // Configure decides
	}
	for _, tt := range tests {
		err := CheckSettingKeys(tt.l, tt.settings)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckSettingKeys(%T, %q) = %q, want %q", tt.l, tt.settings, got, tt.want)
		}
	}
}
