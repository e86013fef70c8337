package harness

import (
	"fmt"
	"math"
	"strings"
)

// Verdicts of a row.
const (
	Met     = "yes"
	NotMet  = "**no**"
	Skipped = "skipped"
	Failed  = "failed"
)

// A Row is one line of the results table.
type Row struct {
	// Goal is the number of the goal the row belongs to.
	Goal int
	// Name says what was measured.
	Name string
	// NsOp is the time per operation in nanoseconds; NaN when the row is
	// not a time.
	NsOp float64
	// AllocsOp is the allocations per operation; NaN when not measured.
	AllocsOp float64
	// Measured is the ratio or quantity that the goal checks, such as
	// "1.02×" or "14.1 MiB", or "base" for the row others are compared
	// with.
	Measured string
	// Target is the goal, such as "≤ 1.05×", or "" for a row without one.
	Target string
	// Verdict is Met, NotMet, Skipped or Failed, or "" for a row without a
	// goal.
	Verdict string
}

// none marks a number that was not measured.
var none = math.NaN()

// verdict returns Met or NotMet.
func verdict(ok bool) string {
	if ok {
		return Met
	}
	return NotMet
}

// A Report is the outcome of a benchmark run.
type Report struct {
	// Rows is the table, in goal order.
	Rows []Row
	// Setup describes the machine and the run, one item per line.
	Setup []string
	// Notes explain the rows, by goal number.
	Notes map[int][]string
	// Sections are further Markdown sections, such as the profile.
	Sections []string
}

// add appends rows.
func (r *Report) add(rows ...Row) { r.Rows = append(r.Rows, rows...) }

// note adds an explanation to a goal.
func (r *Report) note(goal int, format string, args ...any) {
	if r.Notes == nil {
		r.Notes = map[int][]string{}
	}
	r.Notes[goal] = append(r.Notes[goal], fmt.Sprintf(format, args...))
}

// fail records a step that could not be measured.
func (r *Report) fail(goal int, name string, err error) {
	r.add(Row{Goal: goal, Name: name, NsOp: none, AllocsOp: none, Measured: "-", Verdict: Failed})
	r.note(goal, "%s failed: %v", name, firstLine(err.Error()))
}

// Missed returns the rows whose goal was not met or could not be measured.
func (r *Report) Missed() []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Verdict == NotMet || row.Verdict == Failed {
			out = append(out, row)
		}
	}
	return out
}

// goalTitles name the goals of issue 8.
var goalTitles = map[int]string{
	1: "the plugin boundary",
	2: "what the host adds",
	3: "the peer: go-plugin",
	4: "`logplug run` end to end",
	5: "start-up",
	6: "memory",
	7: "build",
}

// Table returns the rows as a Markdown table.
func (r *Report) Table() string {
	var b strings.Builder
	b.WriteString("| goal | benchmark | ns/op | allocs/op | ratio or value | goal | met |\n")
	b.WriteString("|---|---|--:|--:|--:|---|---|\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s |\n",
			row.Goal, row.Name, formatNs(row.NsOp), formatAllocs(row.AllocsOp), row.Measured, row.Target, row.Verdict)
	}
	return b.String()
}

// Markdown returns the whole report as a Markdown document.
func (r *Report) Markdown() string {
	var b strings.Builder
	b.WriteString("# logplug benchmarks\n\n")
	b.WriteString("Written by `go tool mage bench`; do not edit. Every ratio compares figures\n")
	b.WriteString("measured side by side in the same run, interleaved round by round, and\n")
	b.WriteString("each figure is the median of its rounds. Absolute times depend on the\n")
	b.WriteString("machine and its load; the ratios are what the goals are about.\n\n")
	for _, s := range r.Setup {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	b.WriteString("\n")
	b.WriteString(r.Table())
	b.WriteString("\n## What each goal measures\n")
	for goal := 1; goal <= len(goalTitles); goal++ {
		fmt.Fprintf(&b, "\n### %d. %s\n\n", goal, goalTitles[goal])
		for _, n := range r.Notes[goal] {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	for _, s := range r.Sections {
		b.WriteString("\n")
		b.WriteString(s)
	}
	return b.String()
}

// formatNs formats nanoseconds with thousands separators.
func formatNs(ns float64) string {
	switch {
	case math.IsNaN(ns):
		return "-"
	case ns < 100:
		return fmt.Sprintf("%.1f", ns)
	}
	return thousands(int64(math.Round(ns)))
}

// formatAllocs formats an allocation count.
func formatAllocs(n float64) string {
	switch {
	case math.IsNaN(n):
		return "-"
	case n == math.Trunc(n):
		return thousands(int64(n))
	}
	return fmt.Sprintf("%.2f", n)
}

// thousands formats n with commas between groups of three digits.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// ratio formats a ratio such as 1.034 as "1.03×".
func ratio(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "-"
	}
	return fmt.Sprintf("%.2f×", x)
}

// mib formats a byte count in MiB.
func mib(bytes int64) string { return fmt.Sprintf("%.1f MiB", float64(bytes)/(1<<20)) }

// firstLine returns s up to its first newline.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
