// Package detectortest compares a Go detector with Python's on the vectors of
// proxy/gen/generate.py --detector-vectors (the file DETECTOR_VECTORS names).
package detectortest

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors"
)

type vectors struct {
	Python    string                           `json:"python"`
	Texts     [][]rune                         `json:"texts"`
	Detectors map[string][][][]json.RawMessage `json:"detectors"`
}

var (
	loaded  *vectors
	loadErr error
	once    sync.Once
)

func load() (*vectors, error) {
	once.Do(func() {
		path := os.Getenv("DETECTOR_VECTORS")
		if path == "" {
			return
		}
		data, err := os.ReadFile(path)
		if err != nil {
			loadErr = err
			return
		}
		var v vectors
		if err := json.Unmarshal(data, &v); err != nil {
			loadErr = err
			return
		}
		loaded = &v
	})
	return loaded, loadErr
}

func decode(raw [][]json.RawMessage) ([]detectors.Span, error) {
	out := make([]detectors.Span, 0, len(raw))
	for _, item := range raw {
		if len(item) != 3 {
			return nil, fmt.Errorf("span %v", item)
		}
		var s detectors.Span
		if err := json.Unmarshal(item[0], &s.Kind); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(item[1], &s.Start); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(item[2], &s.End); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Compare runs detect on every text of the vectors and fails on any difference from Python's
// detect() (kinds, spans, order). Skipped when DETECTOR_VECTORS is not set.
func Compare(t *testing.T, name string, detect func([]rune, map[string]bool) []detectors.Span) {
	t.Helper()
	v, err := load()
	if err != nil {
		t.Fatal(err)
	}
	if v == nil {
		t.Skip("DETECTOR_VECTORS is not set (tests/proxy/test_build.py sets it)")
	}
	want, ok := v.Detectors[name]
	if !ok {
		t.Fatalf("no vectors for detector %q", name)
	}
	bad, found := 0, 0
	for i, text := range v.Texts {
		expected, err := decode(want[i])
		if err != nil {
			t.Fatal(err)
		}
		got := detect(text, nil) // the vectors are detect(text): no kind stops the reading
		if len(expected) > 0 {
			found++
		}
		if !same(got, expected) {
			bad++
			if bad <= 15 {
				t.Errorf("%s.Detect(%q) = %v, Python %v", name, string(text), got, expected)
			}
		}
	}
	t.Logf("%s: Python %s, %d texts (%d with findings), %d differ", name, v.Python, len(v.Texts), found, bad)
	if bad > 0 {
		t.Fatalf("%s: %d of %d texts differ from Python", name, bad, len(v.Texts))
	}
}

func same(a, b []detectors.Span) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Timing skips a test that asserts timings unless PROXY_TIMING_TESTS is set: these machines are
// shared, so timings are benchmarks (`PROXY_TIMING_TESTS=1 go test -run LinearTime ./...`, see
// docs/proxy.md), not part of the test suite.
func Timing(t *testing.T) {
	t.Helper()
	if os.Getenv("PROXY_TIMING_TESTS") == "" {
		t.Skip("a timing benchmark: set PROXY_TIMING_TESTS=1 to run it")
	}
}
