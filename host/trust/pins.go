package trust

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// A Digest is the SHA-256 of a file's bytes.
type Digest [sha256.Size]byte

// String returns the digest in lowercase hex, as sha256sum prints it.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// ParseDigest reads a digest in hex, either case.
func ParseDigest(s string) (Digest, error) {
	var d Digest
	if len(s) != 2*len(d) {
		return d, fmt.Errorf("%q is not a SHA-256 digest: want %d hex digits, have %d", s, 2*len(d), len(s))
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return d, fmt.Errorf("%q is not a SHA-256 digest: %v", s, err)
	}
	return d, nil
}

// HashFile returns the SHA-256 of the file at path.
func HashFile(path string) (Digest, error) {
	var d Digest
	f, err := os.Open(path)
	if err != nil {
		return d, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return d, fmt.Errorf("hash %s: %w", path, err)
	}
	h.Sum(d[:0])
	return d, nil
}

// A Pin is one line of a pins file: a file name and the digest its bytes
// must have.
type Pin struct {
	// Name is the file's name, relative to the plugin folder unless it is
	// absolute, with "/" between folders.
	Name string
	// Digest is the SHA-256 the file must have.
	Digest Digest
}

// Pins are the digests plugin files must have, by name. The zero value
// holds no pins: every file is "not pinned".
type Pins struct {
	// Source names where the pins came from (a file name), for messages.
	Source string
	byName map[string]Digest
}

// NewPins returns pins holding the given pins; source names where they came
// from. A name given twice keeps its last digest.
func NewPins(source string, pins ...Pin) *Pins {
	p := &Pins{Source: source, byName: map[string]Digest{}}
	for _, pin := range pins {
		p.byName[cleanName(pin.Name)] = pin.Digest
	}
	return p
}

// Lookup returns the digest pinned for name, a path relative to the plugin
// folder (or absolute) with "/" or the system's separator between folders.
func (p *Pins) Lookup(name string) (Digest, bool) {
	if p == nil {
		return Digest{}, false
	}
	d, ok := p.byName[cleanName(name)]
	return d, ok
}

// Len returns the number of files pinned.
func (p *Pins) Len() int {
	if p == nil {
		return 0
	}
	return len(p.byName)
}

// List returns the pins sorted by name.
func (p *Pins) List() []Pin {
	var out []Pin
	if p == nil {
		return out
	}
	for name, d := range p.byName {
		out = append(out, Pin{Name: name, Digest: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// cleanName puts a name in the one form pins are kept in: "/" separators,
// no "./" or "a/../".
func cleanName(name string) string {
	return path.Clean(strings.ReplaceAll(name, string(os.PathSeparator), "/"))
}

// maxPinsLine bounds the length of a line of a pins file.
const maxPinsLine = 64 << 10

// ParsePins reads pins in the formats that `sha256sum -c` reads, one file a
// line:
//
//	HEX  NAME                  what sha256sum prints (text mode)
//	HEX *NAME                  what sha256sum -b prints (binary mode; the same on Unix)
//	SHA256 (NAME) = HEX        what sha256sum --tag prints
//
// HEX is 64 hex digits, either case. A line for a name holding a
// backslash, newline or carriage return starts with "\", and the name has
// them as "\\", "\n" and "\r", as sha256sum writes it. Empty lines and
// lines starting with "#" are skipped. A malformed line, or a name given
// twice with different digests, is an error naming source and the line
// number.
func ParsePins(r io.Reader, source string) (*Pins, error) {
	p := NewPins(source)
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxPinsLine)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pin, err := parsePinLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", source, n, err)
		}
		name := cleanName(pin.Name)
		if d, ok := p.byName[name]; ok && d != pin.Digest {
			return nil, fmt.Errorf("%s:%d: %s is pinned twice, with different digests", source, n, pin.Name)
		}
		p.byName[name] = pin.Digest
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", source, err)
	}
	return p, nil
}

// ReadPinsFile reads a pins file (see [ParsePins]).
func ReadPinsFile(name string) (*Pins, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("pins file: %w", err)
	}
	return ParsePins(bytes.NewReader(b), name)
}

// errPinLine explains the formats a pins line may have.
const errPinLine = `want "HEX  NAME" (as sha256sum prints), "HEX *NAME" or "SHA256 (NAME) = HEX"`

func parsePinLine(line string) (Pin, error) {
	escaped := strings.HasPrefix(line, `\`)
	if escaped {
		line = line[1:]
	}
	var pin Pin
	var hexPart string
	if rest, ok := strings.CutPrefix(line, "SHA256 ("); ok {
		i := strings.LastIndex(rest, ") = ")
		if i < 0 {
			return Pin{}, fmt.Errorf("%q: %s", line, errPinLine)
		}
		pin.Name, hexPart = rest[:i], rest[i+len(") = "):]
	} else {
		var rest string
		hexPart, rest, ok = strings.Cut(line, " ")
		if !ok || len(rest) < 2 || (rest[0] != ' ' && rest[0] != '*') {
			return Pin{}, fmt.Errorf("%q: %s", line, errPinLine)
		}
		pin.Name = rest[1:]
	}
	var err error
	if pin.Digest, err = ParseDigest(hexPart); err != nil {
		return Pin{}, err
	}
	if escaped {
		if pin.Name, err = unescapeName(pin.Name); err != nil {
			return Pin{}, err
		}
	}
	return pin, nil
}

// unescapeName undoes the escaping sha256sum applies to names holding a
// backslash, newline or carriage return.
func unescapeName(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i == len(s) {
			return "", fmt.Errorf("name %q ends in a lone backslash", s)
		}
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", fmt.Errorf(`name %q holds an unknown escape \%c`, s, s[i])
		}
	}
	return b.String(), nil
}

// WritePins writes pins as sha256sum prints them ("HEX  NAME", escaping
// names that hold a backslash, newline or carriage return), so that
// `sha256sum -c` run in the plugin folder checks them too.
func WritePins(w io.Writer, pins []Pin) error {
	bw := bufio.NewWriter(w)
	for _, p := range pins {
		if strings.ContainsAny(p.Name, "\\\n\r") {
			r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`)
			fmt.Fprintf(bw, "\\%s  %s\n", p.Digest, r.Replace(p.Name))
			continue
		}
		fmt.Fprintf(bw, "%s  %s\n", p.Digest, p.Name)
	}
	return bw.Flush()
}
