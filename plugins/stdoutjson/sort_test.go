package main

import (
	"slices"
	"strings"
	"testing"
)

func TestSortLabels(t *testing.T) {
	tests := [][]string{
		nil,
		{"a"},
		{"b", "a"},
		{"e", "d", "c", "b", "a"},
		{"user", "time", "service", "request_id", "level", "a"},
		{"b", "a", "b", "a"},
		{"", "é", "Z", "z", "0"},
	}
	for _, keys := range tests {
		var labels []label
		for _, k := range keys {
			labels = append(labels, label{key: k, value: "v" + k})
		}
		sortLabels(labels)
		var got []string
		for _, l := range labels {
			if l.value != "v"+l.key {
				t.Errorf("label %q lost its value: %q", l.key, l.value)
			}
			got = append(got, l.key)
		}
		want := slices.Sorted(slices.Values(keys))
		if !slices.Equal(got, want) {
			t.Errorf("sortLabels(%q) = %q, want %q", strings.Join(keys, ","), got, want)
		}
	}
}
