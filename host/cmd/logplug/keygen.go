package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/logplug/logplug/host/trust"
)

func keygenCommand() *Command {
	var name string
	return &Command{
		Name:      "keygen",
		UsageLine: "logplug keygen [-o NAME]",
		Short:     "make a key pair for signing plugins",
		Long: `
Keygen makes an Ed25519 key pair: NAME.key, the private key (mode 0600; keep
it secret, on the machine that builds plugins), and NAME.pub, the public key
(give it to hosts with --trust NAME.pub). It never overwrites a file.

Each file is one line of text: "logplug-ed25519-private BASE64" (the 32-byte
seed) or "logplug-ed25519-public BASE64" (the 32-byte key), followed by a
comment, here NAME's base name.`,
		setFlags: func(fs *flag.FlagSet) {
			fs.StringVar(&name, "o", "logplug", "write the keys to `NAME`.key and NAME.pub")
		},
		Run: func(ctx context.Context, c *Command, args []string) error {
			if len(args) > 0 {
				return usagef("unexpected arguments %q; name the keys with -o NAME", args)
			}
			privPath, pubPath := name+".key", name+".pub"
			for _, p := range []string{privPath, pubPath} {
				if _, err := os.Lstat(p); err == nil {
					return fmt.Errorf("%s exists; fix: choose another -o NAME, or remove it", p)
				}
			}
			pub, priv, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return err
			}
			comment := filepath.Base(name)
			if err := writeNew(privPath, trust.FormatPrivateKey(priv, comment), 0o600); err != nil {
				return err
			}
			if err := writeNew(pubPath, trust.FormatPublicKey(pub, comment), 0o644); err != nil {
				os.Remove(privPath)
				return err
			}
			fmt.Fprintf(c.stdout, "wrote %s (private: keep it secret; sign with: logplug sign --key %s FILE.so)\n", privPath, privPath)
			fmt.Fprintf(c.stdout, "wrote %s (public: load only plugins it signed with: logplug run --trust %s)\n", pubPath, pubPath)
			return nil
		},
	}
}

// writeNew writes a file that must not exist yet, with exactly mode perm.
func writeNew(name string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil { // whatever the umask
		f.Close()
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return errors.Join(fmt.Errorf("write %s", name), err)
	}
	return nil
}
