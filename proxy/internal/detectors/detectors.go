// Package detectors holds what the guard's detectors share. Each detector is a subpackage
// (sql, shell, html, paths) porting lambda_layer/protect_lambda/detectors/<name>.py, with
//
//	func Detect(text []rune) []detectors.Span
//
// reading one value as the guard normalised it and returning what Python's detect() returns,
// in the same order: the structures found, as code-point spans of that text.
package detectors

// Span is one finding of a detector: the kind of structure (a tautology, a command after a
// separator...) and where it is, in code points.
type Span struct {
	Kind       string
	Start, End int
}
