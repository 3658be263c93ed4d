// Package detectors holds what the guard's detectors share. Each detector is a subpackage
// (sql, shell, html, paths) porting lambda_layer/protect_lambda/detectors/<name>.py, with
//
//	func Detect(text []rune, stop map[string]bool) []detectors.Span
//
// reading one value as the guard normalised it and returning what Python's detect() returns,
// in the same order: the structures found, as code-point spans of that text. A detector may stop
// reading once it found a kind in stop (the kinds of the guard's blocking rules), as Python's does.
package detectors

// Stopped is whether a span of found from index since on is of a kind in stop.
func Stopped(found []Span, since int, stop map[string]bool) bool {
	if len(stop) == 0 {
		return false
	}
	for _, s := range found[since:] {
		if stop[s.Kind] {
			return true
		}
	}
	return false
}

// Span is one finding of a detector: the kind of structure (a tautology, a command after a
// separator...) and where it is, in code points.
type Span struct {
	Kind       string
	Start, End int
}
