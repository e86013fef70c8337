//go:build !unix

package integration

import "context"

// buildCheckFolder does nothing where Go plugins can't be built.
func buildCheckFolder(ctx context.Context, root string) error { return nil }
