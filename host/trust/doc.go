// Package trust decides whether a plugin file may be opened at all.
//
// Opening a Go plugin runs its code with every right of the host process,
// so whoever can change a plugin file, or a folder on the way to it, owns
// the host. This package has the checks the host makes before it opens a
// plugin, each usable on its own and none of which opens a plugin:
//
//   - [Checker] walks a path the way the kernel resolves it and refuses any
//     file, folder or symlink on the way that someone other than root or
//     the host's user could change (in the spirit of OpenSSH's StrictModes);
//   - [Pins] holds SHA-256 digests in the format of sha256sum, which
//     [ParsePins] reads and [WritePins] writes;
//   - [Sign] and [Verify] make and check detached ed25519 signatures, and
//     [ParsePublicKey], [ParsePrivateKey] and [ParseSignature] read the small
//     text files they are kept in;
//   - [PrivateCopy] copies a file into a folder only the host's user can
//     write, hashing the bytes as it copies them, so that the bytes checked
//     are the bytes that are loaded.
//
// It uses the standard library only.
package trust
