package api

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ErrUnknownSetting is returned, wrapped, by [UnknownSetting].
var ErrUnknownSetting = errors.New("unknown key")

// UnknownSetting returns the error a [Configurer] gives for a key it does not
// know, naming the key, its value and the keys it knows, and suggesting the
// nearest of them when one is close, as in
//
//	setting maxsize="3": unknown key; did you mean max_size_mb? (the keys are format, max_backups, max_size_mb, mode and path)
//
// A plugin that does not import this package (see the package
// documentation) can copy the function.
func UnknownSetting(key, value string, known []string) error {
	known = slices.Sorted(slices.Values(known))
	list := "the keys are " + joinAnd(known)
	if len(known) == 1 {
		list = "the key is " + known[0]
	}
	if near := nearestKey(key, known); near != "" {
		return fmt.Errorf("setting %s=%q: %w; did you mean %s? (%s)", key, value, ErrUnknownSetting, near, list)
	}
	if len(known) == 0 {
		return fmt.Errorf("setting %s=%q: %w: the plugin takes no settings", key, value, ErrUnknownSetting)
	}
	return fmt.Errorf("setting %s=%q: %w (%s)", key, value, ErrUnknownSetting, list)
}

// joinAnd joins words as "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// nearestKey returns the known key nearest to key, or "" if none is near:
// keys are compared in lower case without "_", "-" and ".", and a known
// key is near when key is a prefix of it, or it of key, or when at most a
// third of the letters (and at least one) must change to make one the
// other.
func nearestKey(key string, known []string) string {
	k := normalizeKey(key)
	best, bestDist := "", -1
	for _, cand := range known {
		c := normalizeKey(cand)
		d := editDistance(k, c)
		if k != "" && c != "" && (strings.HasPrefix(c, k) || strings.HasPrefix(k, c)) {
			d = min(d, 1)
		}
		if d <= max(1, len(k)/3) && (bestDist < 0 || d < bestDist) {
			best, bestDist = cand, d
		}
	}
	return best
}

func normalizeKey(s string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "", ".", "").Replace(s))
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// SettingKeyLister is implemented by plugins that take settings and can list
// the keys they know.
//
// SettingKeys returns every key Configure accepts. The host checks the
// settings it has for the plugin against the list before it calls
// Configure, and refuses a key that is not in it with [UnknownSetting]'s
// error, which suggests the nearest known key: so a plugin's users get
// "did you mean max_size_mb?" without the plugin importing this package.
//
// If a plugin does not implement SettingKeyLister, the host passes every
// setting to Configure, which must reject a key it does not know.
type SettingKeyLister interface {
	SettingKeys() []string
}

// CheckSettingKeys returns UnknownSetting's error for the first key of
// settings, in sorted order, that l does not list, if l is a
// [SettingKeyLister]; otherwise it returns nil.
func CheckSettingKeys(l Logger, settings map[string]string) error {
	kl, ok := l.(SettingKeyLister)
	if !ok {
		return nil
	}
	known := kl.SettingKeys()
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		if !slices.Contains(known, k) {
			return UnknownSetting(k, settings[k], known)
		}
	}
	return nil
}
