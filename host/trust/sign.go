package trust

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
)

// The first word of each kind of key and signature file. Each file is one
// line: the word, a space, the standard base64 (with padding) of the bytes,
// and optionally a space and a comment that is not checked:
//
//	logplug-ed25519-public    BASE64 OF THE 32-BYTE PUBLIC KEY  [COMMENT]
//	logplug-ed25519-private   BASE64 OF THE 32-BYTE SEED        [COMMENT]
//	logplug-ed25519-signature BASE64 OF THE 64-BYTE SIGNATURE   [COMMENT]
//
// Empty lines and lines starting with "#" are skipped. The private key is
// the seed of RFC 8032 ([ed25519.NewKeyFromSeed]).
const (
	PublicKeyWord  = "logplug-ed25519-public"
	PrivateKeyWord = "logplug-ed25519-private"
	SignatureWord  = "logplug-ed25519-signature"
)

// SignatureSuffix is appended to a plugin file's name to name its detached
// signature: x.so is signed by x.so.sig.
const SignatureSuffix = ".sig"

// signedPrefix starts the message a signature signs.
const signedPrefix = "logplug-plugin-sha256:"

// SignedMessage returns the message a plugin signature signs: the ASCII
// text "logplug-plugin-sha256:" followed by the 64 lowercase hex digits of
// the file's SHA-256 (d). The prefix keeps a plugin signature from being
// taken for a signature over anything else made with the same key; signing
// the digest rather than the file lets the host verify the bytes it hashed
// while copying them. Any Ed25519 (RFC 8032, pure) implementation verifies
// it, for example:
//
//	printf 'logplug-plugin-sha256:%s' "$(sha256sum x.so | cut -c1-64)"
func SignedMessage(d Digest) []byte {
	return []byte(signedPrefix + d.String())
}

// Sign returns the signature of a file whose SHA-256 is d.
func Sign(key ed25519.PrivateKey, d Digest) []byte {
	return ed25519.Sign(key, SignedMessage(d))
}

// Verify returns the index in keys of the first key that made sig over a
// file whose SHA-256 is d, or -1 if none did.
func Verify(keys []ed25519.PublicKey, d Digest, sig []byte) int {
	msg := SignedMessage(d)
	for i, k := range keys {
		if len(k) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize && ed25519.Verify(k, msg, sig) {
			return i
		}
	}
	return -1
}

// FormatPublicKey returns the text of a public key file.
func FormatPublicKey(key ed25519.PublicKey, comment string) []byte {
	return formatLine(PublicKeyWord, key, comment)
}

// FormatPrivateKey returns the text of a private key file, which holds the
// key's seed.
func FormatPrivateKey(key ed25519.PrivateKey, comment string) []byte {
	return formatLine(PrivateKeyWord, key.Seed(), comment)
}

// FormatSignature returns the text of a signature file.
func FormatSignature(sig []byte, comment string) []byte {
	return formatLine(SignatureWord, sig, comment)
}

// ParsePublicKey reads the text of a public key file and returns the key
// and its comment.
func ParsePublicKey(text []byte) (ed25519.PublicKey, string, error) {
	b, comment, err := parseLine(text, PublicKeyWord, ed25519.PublicKeySize)
	return ed25519.PublicKey(b), comment, err
}

// ParsePrivateKey reads the text of a private key file and returns the key
// and its comment.
func ParsePrivateKey(text []byte) (ed25519.PrivateKey, string, error) {
	b, comment, err := parseLine(text, PrivateKeyWord, ed25519.SeedSize)
	if err != nil {
		return nil, "", err
	}
	return ed25519.NewKeyFromSeed(b), comment, nil
}

// ParseSignature reads the text of a signature file and returns the
// signature.
func ParseSignature(text []byte) ([]byte, error) {
	b, _, err := parseLine(text, SignatureWord, ed25519.SignatureSize)
	return b, err
}

// ReadPublicKeyFile reads a public key file.
func ReadPublicKeyFile(name string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	key, _, err := ParsePublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", name, err)
	}
	return key, nil
}

func formatLine(word string, b []byte, comment string) []byte {
	line := word + " " + base64.StdEncoding.EncodeToString(b)
	if comment = strings.Join(strings.Fields(comment), " "); comment != "" {
		line += " " + comment
	}
	return []byte(line + "\n")
}

// kindOf names the kind of file a first word announces, for messages.
var kindOf = map[string]string{
	PublicKeyWord:  "a public key",
	PrivateKeyWord: "a private key",
	SignatureWord:  "a signature",
}

// parseLine reads the one line of a key or signature file whose first word
// must be word and whose bytes must number size.
func parseLine(text []byte, word string, size int) ([]byte, string, error) {
	var fields []string
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if fields != nil {
			return nil, "", fmt.Errorf("more than one line; want one line %q", word+" BASE64")
		}
		fields = strings.Fields(line)
	}
	if err := sc.Err(); err != nil {
		return nil, "", err
	}
	switch {
	case fields == nil:
		return nil, "", fmt.Errorf("empty; want one line %q", word+" BASE64")
	case fields[0] != word && kindOf[fields[0]] != "":
		return nil, "", fmt.Errorf("this is %s (%s), not %s", kindOf[fields[0]], fields[0], kindOf[word])
	case fields[0] != word:
		return nil, "", fmt.Errorf("starts with %q; want one line %q", fields[0], word+" BASE64")
	case len(fields) < 2:
		return nil, "", fmt.Errorf("no base64 after %s", word)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(fields[1])
	if err != nil {
		return nil, "", fmt.Errorf("%s: bad base64: %v", word, err)
	}
	if len(b) != size {
		return nil, "", fmt.Errorf("%s: %d bytes, want %d", word, len(b), size)
	}
	return b, strings.Join(fields[2:], " "), nil
}
