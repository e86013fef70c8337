package host

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSettingsSet(t *testing.T) {
	tests := []struct {
		arg     string
		want    Settings
		wantErr bool
	}{
		{"file.path=/tmp/a.log", Settings{"file": {"path": "/tmp/a.log"}}, false},
		{"file.path=a=b", Settings{"file": {"path": "a=b"}}, false},
		{"zerolog.out.put=x", Settings{"zerolog": {"out.put": "x"}}, false},
		{"file.path=", Settings{"file": {"path": ""}}, false},
		{"file=x", nil, true},
		{"file.path", nil, true},
		{".path=x", nil, true},
		{"file.=x", nil, true},
	}
	for _, tt := range tests {
		var s Settings
		err := s.Set(tt.arg)
		if (err != nil) != tt.wantErr || (!tt.wantErr && !reflect.DeepEqual(s, tt.want)) {
			t.Errorf("Set(%q) = %v, %v; want %v, error %v", tt.arg, s, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "want NAME.KEY=VALUE") {
			t.Errorf("Set(%q) error %q does not say the form", tt.arg, err)
		}
	}
	var s Settings
	_ = s.Set("b.k=1")
	_ = s.Set("a.k=2")
	_ = s.Set("a.k=3")
	if got := s.String(); got != "a.k=3 b.k=1" {
		t.Errorf("String() = %q", got)
	}
}

func TestReadSettingsFile(t *testing.T) {
	tests := []struct {
		name, json string
		want       Settings
		wantErr    string // after "PATH:"
	}{
		{"complete", `{"file": {"path": "a.log", "max_size_mb": 10, "compress": true}, "zerolog": {"level": "warn"}}`,
			Settings{"file": {"path": "a.log", "max_size_mb": "10", "compress": "true"}, "zerolog": {"level": "warn"}}, ""},
		{"empty object", `{}`, Settings{}, ""},
		{"no plugin settings", `{"file": {}}`, Settings{"file": {}}, ""},
		{"empty file", ``, nil, `1:1: the file is empty: want a JSON object of plugin names, each an object of settings, such as {"file": {"path": "app.log"}}`},
		{"white space only", "\n  \n", nil, `1:1: the file is empty`},
		{"trailing comma", "{\n  \"file\": {\"path\": \"a.log\",}\n}", nil, `2:28: invalid character '}' looking for beginning of object key string`},
		{"nested value", "{\"file\": {\n  \"path\": {\"x\": 1}}}", nil, `2:11: file.path: value {"x": 1} is an object, want a string, number or boolean`},
		{"array value", `{"file": {"path": [1]}}`, nil, `1:19: file.path: value [1] is an array, want a string, number or boolean`},
		{"null value", `{"file": {"path": null}}`, nil, `1:19: file.path: value null is not a string, number or boolean`},
		{"not an object", `["file"]`, nil, `1:1: want a JSON object of plugin names, each an object of settings, such as {"file": {"path": "app.log"}}`},
		{"settings not an object", "{\n\"file\": \"a.log\"}", nil, `2:9: plugin "file": want an object of settings, such as {"path": "app.log"}`},
		{"cut short", "{\"file\": ", nil, `1:10: unexpected end of file: an object is not closed`},
		{"two values", `{} {}`, nil, `1:4: more than one JSON value: want one object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "logplug.json")
			if err := os.WriteFile(path, []byte(tt.json), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadSettingsFile(path)
			if tt.wantErr != "" {
				if want := path + ":" + tt.wantErr; err == nil || !strings.HasPrefix(err.Error(), want) {
					t.Fatalf("err = %v\nwant %s", err, want)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := ReadSettingsFile(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestSettingsMerge(t *testing.T) {
	s := Settings{"file": {"path": "a", "format": "json"}}
	s.Merge(Settings{"file": {"path": "b"}, "zerolog": {"level": "warn"}})
	want := Settings{"file": {"path": "b", "format": "json"}, "zerolog": {"level": "warn"}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Merge = %v, want %v", s, want)
	}
}
