package jsonline

import (
	"bytes"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/logplug/logplug/api"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		level  api.Level
		msg    string
		labels map[string]string
		json   bool
	}{
		{"plain text", "hello world", api.LevelInfo, "hello world", nil, false},
		{"empty line", "", api.LevelInfo, "", nil, false},
		{"invalid JSON", `{"msg": "x"`, api.LevelInfo, `{"msg": "x"`, nil, false},
		{"JSON array", `[1,2]`, api.LevelInfo, `[1,2]`, nil, false},
		{"JSON string", `"hi"`, api.LevelInfo, `"hi"`, nil, false},
		{"trailing garbage", `{"msg":"x"} y`, api.LevelInfo, `{"msg":"x"} y`, nil, false},
		{"invalid UTF-8 kept", "caf\xe9", api.LevelInfo, "caf\xe9", nil, false},
		{"NUL kept", "a\x00b", api.LevelInfo, "a\x00b", nil, false},
		{"empty object", `{}`, api.LevelInfo, "", nil, true},
		{"level and msg", `{"level":"warn","msg":"disk"}`, api.LevelWarn, "disk", nil, true},
		{"message field", `{"message":"m","level":"ERROR"}`, api.LevelError, "m", nil, true},
		{"msg wins over message", `{"message":"m","msg":"x"}`, api.LevelInfo, "x", map[string]string{"message": "m"}, true},
		{"unknown level goes to Log", `{"level":"verbose","msg":"v"}`, api.LevelLog, "v", map[string]string{"level": "verbose"}, true},
		{"non-string level is a label", `{"level":3,"msg":"v"}`, api.LevelInfo, "v", map[string]string{"level": "3"}, true},
		{"scalars", ` {"msg":"s","n":-1.5e3,"t":true,"f":false,"z":null,"s":"x"} `, api.LevelInfo, "s",
			map[string]string{"n": "-1.5e3", "t": "true", "f": "false", "z": "null", "s": "x"}, true},
		{"nested", `{"msg":"n","o":{"a": [1, 2]},"a":[ ]}`, api.LevelInfo, "n", map[string]string{"o": `{"a":[1,2]}`, "a": "[]"}, true},
		{"escapes", `{"msg":"a\"b\\c\/d\n\u00e9\ud83d\ude00\ud800x","k\tk":"v"}`, api.LevelInfo, "a\"b\\c/d\né😀\uFFFDx", map[string]string{"k\tk": "v"}, true},
		{"numeric msg", `{"msg":42}`, api.LevelInfo, "42", nil, true},
		{"repeated key", `{"a":"1","a":"2"}`, api.LevelInfo, "", map[string]string{"a": "2"}, true},
		{"bad number", `{"a":01}`, api.LevelInfo, `{"a":01}`, nil, false},
		{"control char in string", "{\"a\":\"x\ty\"}", api.LevelInfo, "{\"a\":\"x\ty\"}", nil, false},
		{"bad escape", `{"a":"\q"}`, api.LevelInfo, `{"a":"\q"}`, nil, false},
	}
	var r Record
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			Parse(tt.line, &r) // r is reused on purpose: nothing may leak between lines
			if r.Level != tt.level || r.Msg != tt.msg || r.JSON != tt.json {
				t.Errorf("Parse(%q) = level %v msg %q json %v; want %v %q %v", tt.line, r.Level, r.Msg, r.JSON, tt.level, tt.msg, tt.json)
			}
			want := tt.labels
			if want == nil {
				want = map[string]string{}
			}
			if !maps.Equal(r.Labels, want) {
				t.Errorf("Parse(%q) labels = %v, want %v", tt.line, r.Labels, want)
			}
		})
	}
}

func TestParseAllocations(t *testing.T) {
	line := strings.Repeat("x", 0) + `{"time":"2026-11-25T10:00:00Z","level":"info","msg":"request served","method":"GET","path":"/api/v1/items","status":"200"}`
	var r Record
	Parse(line, &r)
	if n := testing.AllocsPerRun(100, func() { Parse(line, &r) }); n != 0 {
		t.Errorf("Parse of a flat object allocates %v times, want 0 once the map is warm", n)
	}
}

// FuzzParse checks Parse against encoding/json: it never panics, it takes
// a line for an object exactly when encoding/json does, and then every field
// comes out with the value encoding/json gives it.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"level":"info","msg":"hello","user":"ann"}`,
		`{"message":"m","n":1,"b":true,"z":null,"o":{"x":[1,"2"]}}`,
		`{"msg":"\u00e9\ud83d\ude00\ud800"}`,
		`not json`, ``, `{`, `{"a":}`, `[]`, "caf\xe9", "{\"a\":\"\xff\"}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var r Record
		Parse(line, &r)
		var obj map[string]json.RawMessage
		isObject := json.Unmarshal([]byte(line), &obj) == nil && obj != nil
		if r.JSON != isObject {
			t.Fatalf("Parse(%q).JSON = %v, encoding/json says object = %v", line, r.JSON, isObject)
		}
		if !r.JSON {
			if r.Msg != line || r.Level != api.LevelInfo || len(r.Labels) != 0 {
				t.Fatalf("Parse(%q) of a non-object = %+v, want the line at info", line, r)
			}
			return
		}
		if !utf8.ValidString(line) {
			return // encoding/json replaces invalid bytes; Parse keeps them.
		}
		for k, raw := range obj {
			want := labelText(t, raw)
			got, ok := r.Labels[k]
			switch k {
			case "msg":
				got, ok = r.Msg, true
			case "message":
				if _, hasMsg := obj["msg"]; !hasMsg {
					got, ok = r.Msg, true
				}
			case "level":
				if raw[0] == '"' {
					if _, err := api.ParseLevel(want); err == nil {
						continue
					}
				}
			}
			if !ok || got != want {
				t.Fatalf("Parse(%q): field %q = %q (present %v), want %q", line, k, got, ok, want)
			}
		}
	})
}

// labelText is what Parse should make of one JSON value.
func labelText(t *testing.T, raw json.RawMessage) string {
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func BenchmarkParse(b *testing.B) {
	line := `{"time":"2026-11-25T10:00:00.000000Z","level":"info","msg":"request served to client","method":"GET","path":"/api/v1/items/12345","status":"200"}`
	var r Record
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		Parse(line, &r)
	}
}
