//go:build mage

// The programs the integration tests drive that Go does not build.

package main

import (
	"context"
	"os"

	"github.com/logplug/logplug/magefiles/testtools"
)

// Tools installs the programs the integration tests run besides logplug (logrotate): on Linux as root with apt-get, else it prints how to install them.
func (Test) Tools(ctx context.Context) error {
	return testtools.Ensure(ctx, testtools.Host(), testtools.Tools, os.Stdout)
}
