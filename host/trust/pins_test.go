package trust

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Digests of "a\n" and "b\n", as sha256sum prints them.
const (
	hexA = "87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7"
	hexB = "0263829989b6fd954f72baaf2fc64bc2e2f01d692d4de72986ea808f6e99813f"
)

func mustDigest(t *testing.T, s string) Digest {
	t.Helper()
	d, err := ParseDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParsePins(t *testing.T) {
	tests := []struct {
		name, text string
		want       map[string]string // name → hex; nil when an error is expected
		wantErr    string
	}{
		{name: "sha256sum output", text: hexA + "  x.so\n" + hexB + "  y.so\n",
			want: map[string]string{"x.so": hexA, "y.so": hexB}},
		{name: "binary mode", text: hexA + " *x.so\n", want: map[string]string{"x.so": hexA}},
		{name: "upper-case hex", text: strings.ToUpper(hexA) + "  x.so\n", want: map[string]string{"x.so": hexA}},
		{name: "tagged", text: "SHA256 (x.so) = " + hexA + "\n", want: map[string]string{"x.so": hexA}},
		{name: "tagged name with parentheses", text: "SHA256 (a (1).so) = " + hexA + "\n", want: map[string]string{"a (1).so": hexA}},
		{name: "names made clean", text: hexA + "  ./x.so\n" + hexB + "  sub/../y.so\n",
			want: map[string]string{"x.so": hexA, "y.so": hexB}},
		{name: "name with spaces", text: hexA + "  my plugin.so\n", want: map[string]string{"my plugin.so": hexA}},
		{name: "escaped name", text: `\` + hexA + `  back\\slash\nnew.so` + "\n", want: map[string]string{"back\\slash\nnew.so": hexA}},
		{name: "comments, empty lines, CRLF", text: "# pins\r\n\r\n" + hexA + "  x.so\r\n", want: map[string]string{"x.so": hexA}},
		{name: "same pin twice", text: hexA + "  x.so\n" + hexA + "  ./x.so\n", want: map[string]string{"x.so": hexA}},
		{name: "empty", text: "", want: map[string]string{}},
		{name: "one space", text: hexA + " x.so\n",
			wantErr: `pins:1: "` + hexA + ` x.so": want "HEX  NAME" (as sha256sum prints), "HEX *NAME" or "SHA256 (NAME) = HEX"`},
		{name: "no name", text: hexA + "\n",
			wantErr: `pins:1: "` + hexA + `": want "HEX  NAME" (as sha256sum prints), "HEX *NAME" or "SHA256 (NAME) = HEX"`},
		{name: "short digest", text: "# c\n" + hexA[:10] + "  x.so\n",
			wantErr: `pins:2: "` + hexA[:10] + `" is not a SHA-256 digest: want 64 hex digits, have 10`},
		{name: "not hex", text: strings.Repeat("z", 64) + "  x.so\n",
			wantErr: `pins:1: "` + strings.Repeat("z", 64) + `" is not a SHA-256 digest: encoding/hex: invalid byte: U+007A 'z'`},
		{name: "md5sum output", text: "60b725f10c9c85c70d97880dfe8191b3  x.so\n",
			wantErr: `pins:1: "60b725f10c9c85c70d97880dfe8191b3" is not a SHA-256 digest: want 64 hex digits, have 32`},
		{name: "conflict", text: hexA + "  x.so\n" + hexB + "  x.so\n",
			wantErr: "pins:2: x.so is pinned twice, with different digests"},
		{name: "bad escape", text: `\` + hexA + `  a\tb.so` + "\n", wantErr: `pins:1: name "a\\tb.so" holds an unknown escape \t`},
		{name: "tagged without digest", text: "SHA256 (x.so)\n",
			wantErr: `pins:1: "SHA256 (x.so)": want "HEX  NAME" (as sha256sum prints), "HEX *NAME" or "SHA256 (NAME) = HEX"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePins(strings.NewReader(tt.text), "pins")
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v\nwant    %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Len() != len(tt.want) || p.Source != "pins" {
				t.Errorf("%d pins from %q, want %d from pins", p.Len(), p.Source, len(tt.want))
			}
			for name, hex := range tt.want {
				if d, ok := p.Lookup(name); !ok || d.String() != hex {
					t.Errorf("Lookup(%q) = %s, %v; want %s", name, d, ok, hex)
				}
			}
		})
	}
}

func TestPinsLookup(t *testing.T) {
	p := NewPins("test", Pin{Name: "sub/x.so", Digest: mustDigest(t, hexA)})
	for _, name := range []string{"sub/x.so", "./sub/x.so", filepath.Join("sub", "x.so"), "sub//x.so"} {
		if _, ok := p.Lookup(name); !ok {
			t.Errorf("Lookup(%q) found nothing", name)
		}
	}
	for _, name := range []string{"x.so", "sub/x", "/sub/x.so"} {
		if _, ok := p.Lookup(name); ok {
			t.Errorf("Lookup(%q) found a pin", name)
		}
	}
	var none *Pins
	if _, ok := none.Lookup("x.so"); ok || none.Len() != 0 || none.List() != nil {
		t.Error("nil Pins are not empty")
	}
}

func TestWritePinsRoundTrip(t *testing.T) {
	pins := []Pin{
		{Name: "a.so", Digest: mustDigest(t, hexA)},
		{Name: "odd\\name\n.so", Digest: mustDigest(t, hexB)},
	}
	var buf bytes.Buffer
	if err := WritePins(&buf, pins); err != nil {
		t.Fatal(err)
	}
	want := hexA + "  a.so\n\\" + hexB + "  odd\\\\name\\n.so\n"
	if buf.String() != want {
		t.Errorf("WritePins wrote %q, want %q", buf.String(), want)
	}
	p, err := ParsePins(&buf, "round trip")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.List(); len(got) != 2 || got[0] != pins[0] || got[1] != pins[1] {
		t.Errorf("read back %v, want %v", got, pins)
	}
}

// TestSha256sumCompatibility checks both ways against the real sha256sum:
// what it prints, ParsePins reads; what WritePins writes, `sha256sum -c`
// accepts.
func TestSha256sumCompatibility(t *testing.T) {
	sum, err := exec.LookPath("sha256sum")
	if err != nil {
		t.Skip("no sha256sum on this system (GNU coreutils); the formats are checked by TestParsePins")
	}
	dir := t.TempDir()
	files := map[string]string{"a.so": "a\n", "b c.so": "b\n", "back\\slash.so": "a\n"}
	var names []string
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	for _, mode := range []string{"--text", "--binary", "--tag"} {
		cmd := exec.Command(sum, append([]string{mode}, names...)...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("sha256sum %s: %v", mode, err)
		}
		p, err := ParsePins(bytes.NewReader(out), "sha256sum "+mode)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		for _, name := range names {
			want, err := HashFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if d, ok := p.Lookup(name); !ok || d != want {
				t.Errorf("sha256sum %s: %q pinned to %s, %v; want %s", mode, name, d, ok, want)
			}
		}
		var buf bytes.Buffer
		if err := WritePins(&buf, p.List()); err != nil {
			t.Fatal(err)
		}
		check := exec.Command(sum, "--check", "--strict", "-")
		check.Dir, check.Stdin = dir, &buf
		if out, err := check.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c of what WritePins wrote: %v\n%s", err, out)
		}
	}
}

func TestHashFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "a")
	if err := os.WriteFile(name, []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d, err := HashFile(name); err != nil || d.String() != hexA {
		t.Errorf("HashFile = %s, %v; want %s", d, err, hexA)
	}
	if _, err := HashFile(name + ".missing"); err == nil {
		t.Error("HashFile of a missing file succeeded")
	}
}
