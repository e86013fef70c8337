package rpcpeer_test

import (
	"io"
	"log"
	"os"
	"os/exec"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/logplug/logplug/bench/rpcpeer"
	"github.com/logplug/logplug/host"
)

// Environment variables that name what `go tool mage bench` built.
const (
	// pluginEnv names a copy of a plugin with the output hook.
	pluginEnv = "LOGPLUG_BENCH_PLUGIN"
	// peerEnv names the built ./cmd/peer program.
	peerEnv = "LOGPLUG_BENCH_PEER"
)

// The message every benchmark sends: a short text and three labels.
const benchMsg = "request handled"

var benchLabels = map[string]string{"service": "checkout", "request_id": "4bf92f3577b34da6", "user": "user-01234"}

// BenchmarkPeer calls the same logger, writing to io.Discard, the logplug way
// (a Host delivering to the plugin loaded into this process) and the
// go-plugin way (a remote call to a child process that has loaded it), over
// each of go-plugin's protocols. Every call returns once the logger has
// written the message.
func BenchmarkPeer(b *testing.B) {
	so, peer := os.Getenv(pluginEnv), os.Getenv(peerEnv)
	if so == "" || peer == "" {
		b.Skipf("$%s and $%s are not set: run go tool mage bench", pluginEnv, peerEnv)
	}
	p, err := rpcpeer.LoadWithOutput(so, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("logplug", func(b *testing.B) {
		// Synchronous delivery: like a go-plugin call, Info returns once
		// the logger has written the message. (Queued delivery returns
		// sooner; its cost is goal 2's.)
		h := host.New(host.Options{Synchronous: true, ErrorLog: log.New(io.Discard, "", 0)}, p)
		b.ReportAllocs()
		for b.Loop() {
			h.Info(benchMsg, benchLabels)
		}
	})
	for _, protocol := range []plugin.Protocol{plugin.ProtocolNetRPC, plugin.ProtocolGRPC} {
		b.Run("goplugin-"+string(protocol), func(b *testing.B) {
			cmd := exec.Command(peer)
			cmd.Env = append(os.Environ(), rpcpeer.PluginEnv+"="+so, rpcpeer.ProtocolEnv+"="+string(protocol))
			client := plugin.NewClient(&plugin.ClientConfig{
				HandshakeConfig:  rpcpeer.Handshake,
				Plugins:          rpcpeer.Plugins(protocol, nil),
				Cmd:              cmd,
				AllowedProtocols: []plugin.Protocol{protocol},
				Logger:           hclog.NewNullLogger(),
			})
			defer client.Kill()
			conn, err := client.Client()
			if err != nil {
				b.Fatal(err)
			}
			raw, err := conn.Dispense(rpcpeer.PluginName)
			if err != nil {
				b.Fatal(err)
			}
			l := raw.(rpcpeer.Client)
			b.ReportAllocs()
			for b.Loop() {
				l.Info(benchMsg, benchLabels)
			}
			if err := l.Err(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
