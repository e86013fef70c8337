// Package integration tests the built logplug program with real plugins.
//
// Its TestMain builds the host and every reference plugin into bin/ with the
// settings of package build (the same code `go tool mage build` runs, so
// nothing stale is ever tested), and builds the fixture plugins under
// testdata/fixtures with the same settings. The tests then run bin/logplug
// as a user would and read what the plugins wrote.
package integration
