package main

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/logplug/logplug/host/trust"
)

func signCommand() *Command {
	var keyPath string
	return &Command{
		Name:      "sign",
		UsageLine: "logplug sign --key KEY FILE.so...",
		Short:     "sign plugin files, for --trust",
		Long: `
Sign writes, next to each FILE.so, a detached signature FILE.so.sig made with
the private key KEY (from logplug keygen). A host given the matching public
key with --trust loads FILE.so only if FILE.so.sig is a valid signature of
its bytes. Sign again after every build: a signature covers the exact bytes.

The signature file is one line, "logplug-ed25519-signature BASE64" followed
by the file's name as a comment. BASE64 is the 64-byte Ed25519 signature of
the ASCII text "logplug-plugin-sha256:" followed by the 64 lowercase hex
digits of the file's SHA-256.

Sign refuses a key file that group or others may read.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&keyPath, "key", "", "sign with the private key in `KEY` (from logplug keygen)")
		},
		Run: func(ctx context.Context, c *Command, args []string) error {
			if keyPath == "" {
				return usagef("no --key given")
			}
			if len(args) == 0 {
				return usagef("no plugin files given")
			}
			key, err := readPrivateKey(keyPath)
			if err != nil {
				return err
			}
			for _, file := range args {
				d, err := trust.HashFile(file)
				if err != nil {
					return err
				}
				sigPath := file + trust.SignatureSuffix
				sig := trust.FormatSignature(trust.Sign(key, d), filepath.Base(file))
				if err := os.WriteFile(sigPath, sig, 0o644); err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "signed %s (sha256 %s): %s\n", file, d, sigPath)
			}
			return nil
		},
	}
}

// readPrivateKey reads a private key file that only its owner may read.
func readPrivateKey(name string) (ed25519.PrivateKey, error) {
	info, err := os.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	if mode := info.Mode().Perm(); mode&0o077 != 0 {
		return nil, fmt.Errorf("private key %s may be read by group or others (mode %04o); fix: chmod 600 %s", name, mode, name)
	}
	text, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	key, _, err := trust.ParsePrivateKey(text)
	if err != nil {
		return nil, fmt.Errorf("private key %s: %w", name, err)
	}
	return key, nil
}
