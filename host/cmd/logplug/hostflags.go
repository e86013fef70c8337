package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"sort"
	"strings"

	"github.com/logplug/logplug/host"
)

// pluginsEnv names the environment variable that sets the default plugin
// folder.
const pluginsEnv = "LOGPLUG_PLUGINS"

// defaultPluginDir is the plugin folder when neither --plugins nor
// $LOGPLUG_PLUGINS names one, as in the article logplug started from.
const defaultPluginDir = "plugins"

// defaultConfig is the settings file read when --config is not given, if
// it exists.
const defaultConfig = "logplug.json"

// pluginFlagsHelp explains the flags of hostFlags, for the help of each
// command that has them.
const pluginFlagsHelp = "\n" + `
Plugins are the *.so files in the folder --plugins names (default: the
folder $LOGPLUG_PLUGINS names, else ./plugins), in name order, plus each
--plugin FILE. A plugin's name is the one it gives itself, else its file
name without .so.

Each plugin gets its settings before its first message: from the JSON file
--config names (default ./logplug.json, if it exists), keyed by plugin name,
with each --set NAME.KEY=VALUE applied over it. A plugin that fails to load
or rejects its settings is reported on standard error and left out; the
others go on. With --strict, any such failure, or settings for a plugin
that is not there, stops the command before it sends anything.` + trustFlagsHelp

// hostFlags are the flags of every command that loads plugins.
type hostFlags struct {
	dir    string
	paths  stringsFlag
	config string
	set    host.Settings
	strict bool
	trust  trustFlags
	// delivery, if set, holds the command's delivery flags.
	delivery *deliveryFlags
	// flushWhenIdle is set by a command that calls Host.Idle whenever its
	// input is idle (see host.Options.FlushWhenIdle); it is not a flag.
	flushWhenIdle bool
}

func (f *hostFlags) register(fs *flag.FlagSet) {
	def := os.Getenv(pluginsEnv)
	if def == "" {
		def = defaultPluginDir
	}
	fs.StringVar(&f.dir, "plugins", def, "load every `DIR`/*.so; $"+pluginsEnv+" sets the default")
	fs.Var(&f.paths, "plugin", "also load plugin `FILE` (repeatable)")
	fs.StringVar(&f.config, "config", "", "read plugin settings from JSON `FILE` (default ./"+defaultConfig+" if it exists)")
	fs.Var(&f.set, "set", "set plugin NAME's setting KEY to VALUE, over --config (`NAME.KEY=VALUE`, repeatable)")
	fs.BoolVar(&f.strict, "strict", false, "fail if any plugin fails to load or to accept its settings")
	f.trust.register(fs)
}

// settings reads the settings file, if any, and applies --set over it.
func (f *hostFlags) settings() (host.Settings, error) {
	path := f.config
	if path == "" {
		if _, err := os.Stat(defaultConfig); err != nil {
			return f.set, nil
		}
		path = defaultConfig
	}
	s, err := host.ReadSettingsFile(path)
	if err != nil {
		return nil, err
	}
	s.Merge(f.set)
	return s, nil
}

// options turns the flags into host options. A plugin folder that does not
// exist is not an error when plugin files are named with --plugin.
func (f *hostFlags) options(stderr io.Writer) (host.Options, error) {
	settings, err := f.settings()
	if err != nil {
		return host.Options{}, err
	}
	opts := host.Options{
		Dir:      f.dir,
		Paths:    f.paths,
		Settings: settings,
		ErrorLog: log.New(stderr, progName+": ", 0),
	}
	if f.delivery != nil {
		f.delivery.apply(&opts)
	}
	opts.FlushWhenIdle = f.flushWhenIdle
	if len(f.paths) > 0 {
		if _, err := os.Stat(f.dir); errors.Is(err, os.ErrNotExist) {
			opts.Dir = ""
		}
	}
	if err := f.trust.apply(&opts, stderr); err != nil {
		return host.Options{}, err
	}
	return opts, nil
}

// open loads the plugins. It fails when the folder can't be read or no
// plugin loaded, since every message would then go nowhere, and with
// --strict when any plugin failed or settings name a plugin that is not
// there.
func (f *hostFlags) open(stderr io.Writer) (*host.Host, error) {
	h, problems, err := f.load(stderr)
	if err != nil {
		return nil, err
	}
	for _, p := range problems {
		fmt.Fprintf(stderr, "%s: %s\n", progName, p)
	}
	if err := f.strictError(h, problems); err != nil {
		h.Close()
		return nil, err
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

// load opens the plugins, reporting each failure to stderr, and returns
// the host with a line for each setting that names no plugin found.
func (f *hostFlags) load(stderr io.Writer) (*host.Host, []string, error) {
	opts, err := f.options(stderr)
	if err != nil {
		return nil, nil, err
	}
	h, err := host.Open(opts)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (set --plugins or $%s to the folder that holds your .so files)", err, pluginsEnv)
	}
	return h, unusedSettings(opts.Settings, h.Plugins()), nil
}

// strictError returns, with --strict, the error for plugins that failed to
// load and settings that name no plugin; nil without --strict or when
// there are none. A copy of another plugin file is not a failure.
func (f *hostFlags) strictError(h *host.Host, problems []string) error {
	if !f.strict {
		return nil
	}
	failed := 0
	for _, s := range h.Plugins() {
		if !s.Loaded() && s.CopyOf == "" {
			failed++
		}
	}
	if failed == 0 && len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("--strict: %d plugins failed and %d settings name no plugin (see above); nothing was sent", failed, len(problems))
}

// unusedSettings returns a line for each plugin name in settings that
// names no plugin found, so that a typo in a name does not pass unseen.
func unusedSettings(settings host.Settings, statuses []host.Status) []string {
	found := map[string]bool{}
	for _, s := range statuses {
		found[s.Name] = true
	}
	var names []string
	for name := range settings {
		if !found[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var lines []string
	for _, name := range names {
		lines = append(lines, fmt.Sprintf("settings for plugin %q, which is not among the plugins found", name))
	}
	return lines
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
