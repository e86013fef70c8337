// Command peer is a go-plugin plugin program that serves a logplug plugin:
// it loads the plugin file $LOGPLUG_RPCPEER_PLUGIN, points its output at
// io.Discard, and serves it over the protocol $LOGPLUG_RPCPEER_PROTOCOL
// names (netrpc or grpc). It is started by the benchmarks of package
// rpcpeer, through go-plugin's client; run by hand, it says so and exits.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/go-plugin"

	"github.com/logplug/logplug/bench/rpcpeer"
)

func main() {
	path := os.Getenv(rpcpeer.PluginEnv)
	if path == "" {
		fmt.Fprintf(os.Stderr, "peer: $%s is not set: this program is started by the rpcpeer benchmarks (go tool mage bench)\n", rpcpeer.PluginEnv)
		os.Exit(2)
	}
	p, err := rpcpeer.LoadWithOutput(path, io.Discard)
	if err != nil {
		fmt.Fprintf(os.Stderr, "peer: %v\n", err)
		os.Exit(1)
	}
	protocol := plugin.ProtocolNetRPC
	switch v := os.Getenv(rpcpeer.ProtocolEnv); v {
	case "", "netrpc":
	case "grpc":
		protocol = plugin.ProtocolGRPC
	default:
		fmt.Fprintf(os.Stderr, "peer: $%s=%q: want netrpc or grpc\n", rpcpeer.ProtocolEnv, v)
		os.Exit(2)
	}
	cfg := &plugin.ServeConfig{
		HandshakeConfig: rpcpeer.Handshake,
		Plugins:         rpcpeer.Plugins(protocol, p.Logger),
	}
	if protocol == plugin.ProtocolGRPC {
		cfg.GRPCServer = plugin.DefaultGRPCServer
	}
	plugin.Serve(cfg)
}
