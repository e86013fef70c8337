package trust

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
)

// testKey returns a fixed key, made from a seed of 32 bytes of value b.
func testKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func TestSignedMessageIsDocumented(t *testing.T) {
	d := mustDigest(t, hexA)
	if got, want := string(SignedMessage(d)), "logplug-plugin-sha256:"+hexA; got != want {
		t.Errorf("SignedMessage = %q, want %q", got, want)
	}
	// A signature made by any Ed25519 implementation over that message
	// verifies.
	key := testKey(1)
	sig := ed25519.Sign(key, []byte("logplug-plugin-sha256:"+hexA))
	if Verify([]ed25519.PublicKey{key.Public().(ed25519.PublicKey)}, d, sig) != 0 {
		t.Error("a signature over the documented message does not verify")
	}
	// And Sign's output does not change between releases (Ed25519 is
	// deterministic). The golden value was made with OpenSSL 3.0:
	// openssl pkeyutl -sign -rawin, with the seed of testKey(1).
	const golden = "logplug-ed25519-signature qnbdiKA5c16CsKb9lqeM0ujcdfrep2lRZKSclLVHrElGQ2nXMp1fkFbLjCocjGQzL0PrbhFkxL2223M9UdCADg== a.so\n"
	if got := string(FormatSignature(Sign(key, d), "a.so")); got != golden {
		t.Errorf("signature file = %q, want %q", got, golden)
	}
}

func TestVerify(t *testing.T) {
	k1, k2, k3 := testKey(1), testKey(2), testKey(3)
	pub := func(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }
	d, other := mustDigest(t, hexA), mustDigest(t, hexB)
	tests := []struct {
		name string
		keys []ed25519.PublicKey
		sig  []byte
		want int
	}{
		{"signed by the only key", []ed25519.PublicKey{pub(k1)}, Sign(k1, d), 0},
		{"signed by the second key", []ed25519.PublicKey{pub(k1), pub(k2)}, Sign(k2, d), 1},
		{"signed by an untrusted key", []ed25519.PublicKey{pub(k1), pub(k2)}, Sign(k3, d), -1},
		{"signature of other bytes", []ed25519.PublicKey{pub(k1)}, Sign(k1, other), -1},
		{"no trusted keys", nil, Sign(k1, d), -1},
		{"short signature", []ed25519.PublicKey{pub(k1)}, Sign(k1, d)[:10], -1},
		{"flipped bit", []ed25519.PublicKey{pub(k1)}, func() []byte { s := Sign(k1, d); s[5] ^= 1; return s }(), -1},
	}
	for _, tt := range tests {
		if got := Verify(tt.keys, d, tt.sig); got != tt.want {
			t.Errorf("%s: Verify = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestKeyFilesRoundTrip(t *testing.T) {
	key := testKey(7)
	pubText := FormatPublicKey(key.Public().(ed25519.PublicKey), "  ops  team\tkey ")
	if !strings.HasPrefix(string(pubText), "logplug-ed25519-public ") || !strings.HasSuffix(string(pubText), " ops team key\n") {
		t.Errorf("public key file = %q", pubText)
	}
	pub, comment, err := ParsePublicKey(pubText)
	if err != nil || !pub.Equal(key.Public()) || comment != "ops team key" {
		t.Errorf("ParsePublicKey = %x, %q, %v", pub, comment, err)
	}
	priv, _, err := ParsePrivateKey(FormatPrivateKey(key, ""))
	if err != nil || !priv.Equal(key) {
		t.Errorf("ParsePrivateKey = %v", err)
	}
	sig, err := ParseSignature(FormatSignature(Sign(key, Digest{}), "x.so"))
	if err != nil || Verify([]ed25519.PublicKey{pub}, Digest{}, sig) != 0 {
		t.Errorf("signature file does not round-trip: %v", err)
	}
}

func TestParseKeyErrors(t *testing.T) {
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	tests := []struct {
		name, text, want string
		parse            func([]byte) error
	}{
		{"empty", "\n# only a comment\n", `empty; want one line "logplug-ed25519-public BASE64"`, parsePub},
		{"private key given as public", "logplug-ed25519-private " + b64(32) + "\n",
			"this is a private key (logplug-ed25519-private), not a public key", parsePub},
		{"public key given as private", "logplug-ed25519-public " + b64(32) + "\n",
			"this is a public key (logplug-ed25519-public), not a private key", parsePriv},
		{"ssh key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI me@host\n",
			`starts with "ssh-ed25519"; want one line "logplug-ed25519-public BASE64"`, parsePub},
		{"no base64", "logplug-ed25519-public\n", "no base64 after logplug-ed25519-public", parsePub},
		{"bad base64", "logplug-ed25519-public !!!!\n", "logplug-ed25519-public: bad base64: illegal base64 data at input byte 0", parsePub},
		{"short key", "logplug-ed25519-public " + b64(31) + "\n", "logplug-ed25519-public: 31 bytes, want 32", parsePub},
		{"two keys", "logplug-ed25519-public " + b64(32) + "\nlogplug-ed25519-public " + b64(32) + "\n",
			`more than one line; want one line "logplug-ed25519-public BASE64"`, parsePub},
		{"short signature", "logplug-ed25519-signature " + b64(32) + "\n", "logplug-ed25519-signature: 32 bytes, want 64", parseSig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.parse([]byte(tt.text)); err == nil || err.Error() != tt.want {
				t.Errorf("error = %v\nwant    %s", err, tt.want)
			}
		})
	}
}

func parsePub(b []byte) error  { _, _, err := ParsePublicKey(b); return err }
func parsePriv(b []byte) error { _, _, err := ParsePrivateKey(b); return err }
func parseSig(b []byte) error  { _, err := ParseSignature(b); return err }

func BenchmarkVerify(b *testing.B) {
	key := testKey(1)
	keys := []ed25519.PublicKey{key.Public().(ed25519.PublicKey)}
	sig := Sign(key, Digest{})
	for b.Loop() {
		if Verify(keys, Digest{}, sig) != 0 {
			b.Fatal("does not verify")
		}
	}
}
