package lint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// binaryMagics are the first bytes of the executable formats that
// TrackedBinaries refuses, by name.
var binaryMagics = []struct {
	format string
	magic  []byte
}{
	{"ELF", []byte("\x7fELF")},
	{"Mach-O", []byte{0xfe, 0xed, 0xfa, 0xce}}, // 32-bit, big-endian
	{"Mach-O", []byte{0xce, 0xfa, 0xed, 0xfe}}, // 32-bit, little-endian
	{"Mach-O", []byte{0xfe, 0xed, 0xfa, 0xcf}}, // 64-bit, big-endian
	{"Mach-O", []byte{0xcf, 0xfa, 0xed, 0xfe}}, // 64-bit, little-endian
	{"Mach-O universal", []byte{0xca, 0xfe, 0xba, 0xbe}},
	{"Mach-O universal", []byte{0xca, 0xfe, 0xba, 0xbf}}, // 64-bit offsets
}

// binaryFormat returns the name of the executable format that a file
// starting with head is in, or "".
func binaryFormat(head []byte) string {
	for _, m := range binaryMagics {
		if bytes.HasPrefix(head, m.magic) {
			return m.format
		}
	}
	return ""
}

// TrackedBinaries fails when git tracks an ELF or Mach-O file under root
// (a host, a plugin or a test binary committed by mistake), with one line
// per file that names it and the fix. Files that git tracks but that are
// gone from the working tree are skipped.
func TrackedBinaries(ctx context.Context, root string) error {
	out, err := output(ctx, root, nil, "git", "ls-files", "-z")
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range strings.Split(out, "\x00") {
		if name == "" {
			continue
		}
		format, err := fileFormat(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			return err
		}
		if format != "" {
			errs = append(errs, fmt.Errorf("%s is a tracked %s binary; fix: git rm --cached %s (build outputs belong in bin/, which .gitignore ignores)", name, format, name))
		}
	}
	return errors.Join(errs...)
}

// fileFormat returns binaryFormat of the regular file at path, or "" if it
// is not a regular file or does not exist.
func fileFormat(path string) (string, error) {
	info, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && !info.Mode().IsRegular()) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return binaryFormat(head[:n]), nil
}
