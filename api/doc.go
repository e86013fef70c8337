// Package api is the contract between the logplug host and its logging
// plugins.
//
// A logging plugin is a Go main package built with
//
//	go build -buildmode=plugin -o NAME.so .
//
// using exactly the toolchain and build settings of the host that will load
// it (run `logplug version` to see them). The plugin exports one package-level
// variable named LoggingPlugin (see [Symbol]) whose value, or a pointer to it,
// has the three methods of [Logger]:
//
//	package main
//
//	type logger struct{}
//
//	func (*logger) Log(msg string, labels map[string]string)  { ... }
//	func (*logger) Info(msg string, labels map[string]string) { ... }
//	func (*logger) Warn(msg string, labels map[string]string) { ... }
//
//	var LoggingPlugin = logger{}
//
// The contract uses predeclared types only (string, map[string]string, error),
// and Go matches method sets structurally, so a plugin does not need to import
// this package at all. It should not: every package a plugin shares with the
// host must be byte-for-byte the same version on both sides, so a plugin that
// links api can only load into hosts built from the same api version. The
// reference plugins import api only from their _test.go files, for a
// compile-time check such as
//
//	var _ api.Logger = (*logger)(nil)
//
// and for the conformance suite in package [github.com/logplug/logplug/api/plugintest].
//
// # Optional capabilities
//
// Beyond [Logger], a plugin may implement any of the one-method interfaces
// [DebugLogger], [ErrorLogger], [Configurer], [Flusher], [Closer],
// [Describer], [Holder], [Borrower], [FailureCounter], [Reopener] and
// [SettingKeyLister]. The host checks for each with a type assertion, in
// exactly one place: the helper functions of this package ([Debug],
// [Error], [Configure], [Flush], [Close], [Describe], [Hold],
// [BorrowsLabels], [Failures], [Reopen], [CheckSettingKeys] and [Send]).
// Each interface's documentation says
// what the host does when a plugin lacks it.
//
// # Rules for every method
//
//   - Methods may be called from more than one goroutine at a time. A plugin
//     that is not safe for concurrent use must guard itself with a mutex.
//   - The labels map may be nil or empty. A plugin must not modify it, and
//     must not keep it, or anything that aliases it, after the call returns:
//     the caller may reuse the map at once. Copy what you need.
//   - Log, Info, Warn, Debug and Error return nothing: a plugin that fails to
//     write should count the failure and tell the host through
//     [FailureCounter], or else return it from Flush or Close.
//   - A method must not panic and must not block for long. The host survives
//     both (it recovers panics and bounds how long it waits), but it stops
//     calling a plugin that does either too often.
//   - Configure, when the plugin has it, is called once, before any message.
//     After Close returns, any further call must neither panic nor block; it
//     may do nothing.
package api
