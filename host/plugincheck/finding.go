package plugincheck

// A Finding is one reason a plugin file won't load, or won't work once
// loaded, with what to do about it.
type Finding struct {
	// File is the plugin file, as it was named to the check.
	File string `json:"file"`
	// Problem says what is wrong, in words, naming both sides of a
	// mismatch: "built without -trimpath, the host with -trimpath".
	Problem string `json:"problem"`
	// Have is what the file has, when the problem is a mismatch, as
	// KEY=VALUE or a short phrase: "-trimpath=false".
	Have string `json:"have,omitempty"`
	// Want is what the host needs instead: "-trimpath=true".
	Want string `json:"want,omitempty"`
	// Fix says what to do: "rebuild it with -trimpath".
	Fix string `json:"fix,omitempty"`
}

// String formats the finding as one line: "FILE: PROBLEM; fix: FIX".
func (f Finding) String() string {
	s := f.File + ": " + f.Problem
	if f.Fix != "" {
		s += "; fix: " + f.Fix
	}
	return s
}
