// Command hammer loads plugins with the host library and sends them
// messages from several goroutines at once. The integration tests build it
// with the host's settings and use it to check that plugins keep concurrent
// messages whole.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strconv"
	"sync"

	"github.com/logplug/logplug/host"
)

func main() {
	var (
		plugins    []string
		settings   host.Settings
		goroutines = flag.Int("goroutines", 8, "number of goroutines sending at once")
		lines      = flag.Int("lines", 10000, "messages each goroutine sends")
	)
	flag.Func("plugin", "load plugin `FILE` (repeatable)", func(s string) error {
		plugins = append(plugins, s)
		return nil
	})
	flag.Var(&settings, "set", "plugin setting `NAME.KEY=VALUE` (repeatable)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("hammer: ")

	h, err := host.Open(host.Options{Paths: plugins, Settings: settings})
	if err != nil {
		log.Fatal(err)
	}
	if h.Loaded() != len(plugins) {
		log.Fatalf("%d of %d plugins loaded", h.Loaded(), len(plugins))
	}
	var wg sync.WaitGroup
	for g := range *goroutines {
		wg.Go(func() {
			labels := map[string]string{"g": strconv.Itoa(g)}
			for n := range *lines {
				labels["seq"] = strconv.Itoa(n)
				h.Info(fmt.Sprintf("goroutine %d message %d", g, n), labels)
			}
		})
	}
	wg.Wait()
	if err := h.Close(); err != nil {
		log.Fatal(err)
	}
	for _, s := range h.Plugins() {
		fmt.Printf("%s: received %d, delivered %d\n", s.Name, s.Counts.Received, s.Counts.Delivered)
		if s.Counts.Lost() > 0 {
			os.Exit(1)
		}
	}
}
