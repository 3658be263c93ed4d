package shell

import (
	"testing"

	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors/detectortest"
)

// TestSameAsPython compares Detect with Python's detect() on the vectors DETECTOR_VECTORS names.
// The glob memo cache is emptied first: Python's starts empty too, and a glob found in it costs
// no lookup of a value's budget.
func TestSameAsPython(t *testing.T) {
	resetGlobCache()
	detectortest.Compare(t, "shell", Detect)
}
