// Package host loads logplug logging plugins and delivers messages to them.
//
// A logging plugin is a Go shared object (a ".so" file built with
// -buildmode=plugin) that exports a variable named LoggingPlugin with the
// methods of [api.Logger]. A program that imports this package takes its
// logging backends from such files at run time:
//
//	h, err := host.Open(host.Options{
//		Dir:      "/etc/myapp/plugins", // every *.so file in it
//		Settings: map[string]map[string]string{"file": {"path": "/var/log/myapp.log"}},
//	})
//	if err != nil {
//		log.Fatal(err) // the folder could not be read
//	}
//	defer h.Close() // delivers, flushes and closes every plugin
//
//	h.Info("service started", map[string]string{"port": "8080"})
//
// [Open] takes each file through the load pipeline of package load (trust
// checks, a private copy when pins or signatures are in force, inspection
// of that copy, conflicts with the other plugins, then plugin.Open), passes
// each plugin its settings, and returns a [Host], one value that sends every message to every plugin that
// loaded, in order, with [Host.Log], [Host.Debug], [Host.Info], [Host.Warn],
// [Host.Error] or [Host.Send]. A plugin that fails to load or to configure is
// reported and left out; the others work. [Host.Plugins] reports on each
// plugin file: its name and version, why it failed, and how many messages it
// received, delivered and dropped. [Host.Close] flushes and closes them all;
// a program must call it before it exits, or a plugin that buffers may lose
// what it holds.
//
// # Delivery
//
// By default each plugin takes its messages, in order, from a bounded queue
// of its own, in a goroutine of its own, with a labels map of its own: a
// plugin that is slow, blocks, panics or changes its labels can't delay the
// caller or the other plugins while its queue has room (see [Options] for the
// queue size, the [Block] and [Drop] policies and the timeouts). The labels
// map is a new one for each message, or, for a plugin that says it is done
// with each map when its method returns ([api.Borrower]), one map that the
// host lends it again and again, which saves an allocation per message.
// With [Options.Synchronous], Send calls each plugin in turn in the caller's
// goroutine instead: the fastest way, for plugins that are quick and trusted.
//
// A logger that is linked into the program, rather than loaded, can be
// wrapped in a [Plugin] and passed to [New], which returns the same kind of
// Host; tests and the examples here do so.
//
// # log/slog
//
// [NewHandler] returns a [slog.Handler] over a Host, so that a program that
// logs with log/slog takes its backends from plugins by changing the line
// that makes its logger:
//
//	slog.SetDefault(slog.New(host.NewHandler(h, nil)))
//
// Records' levels pick the plugins' methods ([SlogLevel]) and their
// attributes become labels, with groups as dotted keys ("req.method").
//
// # Building a program that loads plugins
//
// The Go runtime loads a plugin only into a program built with the same Go
// toolchain and the same build settings, and with the same version of every
// package the two share (see [CompatibilitySettings]). Build the program with
// the settings its plugins are built with: in this repository, `go tool mage
// build` builds with -trimpath and cgo enabled, and `logplug version` prints
// the command that builds a compatible plugin.
package host
