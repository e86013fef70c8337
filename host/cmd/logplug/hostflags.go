package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"github.com/logplug/logplug/host"
)

// pluginsEnv names the environment variable that sets the default plugin
// folder.
const pluginsEnv = "LOGPLUG_PLUGINS"

// defaultPluginDir is the plugin folder when neither --plugins nor
// $LOGPLUG_PLUGINS names one, as in the article logplug started from.
const defaultPluginDir = "plugins"

// hostFlags are the flags of every command that loads plugins.
type hostFlags struct {
	dir   string
	paths stringsFlag
}

func (f *hostFlags) register(fs *flag.FlagSet) {
	def := os.Getenv(pluginsEnv)
	if def == "" {
		def = defaultPluginDir
	}
	fs.StringVar(&f.dir, "plugins", def, "load every `DIR`/*.so; $"+pluginsEnv+" sets the default")
	fs.Var(&f.paths, "plugin", "also load plugin `FILE` (repeatable)")
}

// options turns the flags into host options. A plugin folder that does not
// exist is not an error when plugin files are named with --plugin.
func (f *hostFlags) options(stderr io.Writer) host.Options {
	opts := host.Options{
		Dir:      f.dir,
		Paths:    f.paths,
		ErrorLog: log.New(stderr, progName+": ", 0),
	}
	if len(f.paths) > 0 {
		if _, err := os.Stat(f.dir); errors.Is(err, os.ErrNotExist) {
			opts.Dir = ""
		}
	}
	return opts
}

// open loads the plugins. It fails when the folder can't be read or no
// plugin loaded, since every message would then go nowhere.
func (f *hostFlags) open(stderr io.Writer) (*host.Host, error) {
	opts := f.options(stderr)
	h, err := host.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("%w (set --plugins or $%s to the folder that holds your .so files)", err, pluginsEnv)
	}
	if h.Loaded() == 0 {
		n := len(h.Plugins())
		if n == 0 {
			return nil, fmt.Errorf("no plugins: %s holds no .so file", f.dir)
		}
		return nil, fmt.Errorf("no plugin loaded: all %d failed (see above)", n)
	}
	return h, nil
}

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (s *stringsFlag) String() string { return strings.Join(*s, ",") }

func (s *stringsFlag) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// labelsFlag is a repeatable key=value flag.
type labelsFlag map[string]string

func (l labelsFlag) String() string {
	var parts []string
	for k, v := range l {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (l labelsFlag) Set(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not KEY=VALUE", kv)
	}
	l[k] = v
	return nil
}
