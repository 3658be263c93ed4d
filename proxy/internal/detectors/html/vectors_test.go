package html

import (
	"testing"

	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors/detectortest"
)

func TestSameAsPython(t *testing.T) { detectortest.Compare(t, "html", Detect) }
