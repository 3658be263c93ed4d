// Package vectortest reads the differential vectors the Python side writes for the Go tests
// (proxy/gen/*.py; tests/proxy/test_build.py names each file in an environment variable).
package vectortest

import (
	"encoding/json"
	"os"
	"testing"
)

// Load decodes the JSON file named by the environment variable env into v. The test is skipped
// when env is not set (hint says who sets it) and fails when the file cannot be read or decoded.
//
//	var v struct{ Texts []string `json:"texts"` }
//	vectortest.Load(t, "PYRE_VECTORS", "tests/proxy/test_build.py sets it", &v)
func Load(t *testing.T, env, hint string, v any) {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		t.Skipf("%s is not set (%s)", env, hint)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}
