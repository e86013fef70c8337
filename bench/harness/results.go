package harness

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// A Result is one line of `go test -bench` output.
type Result struct {
	// Name is the benchmark's name without the -GOMAXPROCS suffix, such as
	// "BenchmarkBoundary/static".
	Name string
	// N is the number of iterations.
	N int
	// Metrics holds every value by unit: "ns/op", "B/op", "allocs/op" and
	// the benchmark's own, such as "ns/line".
	Metrics map[string]float64
}

// ParseResults reads the result lines of `go test -bench` output and
// ignores the rest.
func ParseResults(r io.Reader) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		res := Result{Name: trimProcs(f[0]), N: n, Metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: %w", sc.Text(), err)
			}
			res.Metrics[f[i+1]] = v
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// trimProcs removes the "-4" that go test appends to a benchmark's name
// when GOMAXPROCS is above 1.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// samples collects the values measured for each benchmark over several
// rounds.
type samples map[string]map[string][]float64

// add records every metric of the results.
func (s samples) add(results []Result) {
	for _, r := range results {
		for unit, v := range r.Metrics {
			s.put(r.Name, unit, v)
		}
	}
}

// put records one value.
func (s samples) put(name, unit string, v float64) {
	if s[name] == nil {
		s[name] = map[string][]float64{}
	}
	s[name][unit] = append(s[name][unit], v)
}

// median returns the median of the values recorded for a benchmark and
// unit, and false if there are none.
func (s samples) median(name, unit string) (float64, bool) {
	vs := s[name][unit]
	if len(vs) == 0 {
		return 0, false
	}
	return median(vs), true
}

// median returns the median of vs, which must not be empty.
func median(vs []float64) float64 {
	vs = slices.Clone(vs)
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}
