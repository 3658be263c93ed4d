// Package paths ports lambda_layer/protect_lambda/detectors/paths.py: path traversal, judged
// on the path itself (does it climb above its root, does it reach a file that no request
// should name?). Detect returns what Python's detect() returns, span for span, as code-point
// positions of the value after _plain (as the Python does).
package paths

import (
	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

var (
	runeSlash     = []rune("/")
	runeBackslash = []rune(`\`)
	runeDotDot    = []rune("..")
	runeSlashDot  = []rune("/.")
	runeFile      = []rune("file:")
	runeFakepath  = []rune("fakepath")
	runeParent    = []rune("../")
)

// Python: _plain
func plain(text []rune) []rune {
	if pystr.Contains(text, runeBackslash) {
		text = pystr.Replace(text, runeBackslash, runeSlash)
	}
	debris := py_DEBRIS.Rx()
	if debris.Search(text, 0) != nil {
		text = debris.Sub(text, func(*pyre.Match) []rune { return runeSlash }, 0)
	}
	if pystr.Contains(text, runeDotDot) {
		// _BYPASS.sub("../", text), in one pass (see bypassSub)
		text = bypassSub(text)
	}
	return text
}

// segments is [s for s in _SEGMENTS.split(run) if s] (equally [s for s in run.split("/") if s]):
// the non-empty pieces between separators.
func segments(run []rune) [][]rune { return firstSegments(run, -1) }

// firstSegments is segments(run)[:limit] (all of them for a negative limit).
func firstSegments(run []rune, limit int) [][]rune {
	var out [][]rune
	start := 0
	for i := 0; i <= len(run) && len(out) != limit; i++ {
		if i == len(run) || run[i] == '/' {
			if i > start {
				out = append(out, run[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// Python: _resolve
func resolve(run []rune) (int, []rune) {
	depth := 0
	lowest := 0
	var parts [][]rune
	// _SEGMENTS.split(run) yields "" only around separators, which the loop skips anyway.
	for _, segment := range segments(run) {
		if string(segment) == "." {
			continue
		}
		if string(segment) == ".." {
			depth--
			if len(parts) > 0 {
				parts = parts[:len(parts)-1]
			}
			lowest = min(lowest, depth)
		} else {
			depth++
			parts = append(parts, segment)
		}
	}
	return -lowest, pystr.Join('/', parts)
}

// lastSegment is path[path.rfind("/") + 1:].
func lastSegment(path []rune) []rune {
	return path[pystr.RFind(path, runeSlash)+1:]
}

// Python: _sensitive
func sensitive(path []rune) bool {
	path = pystr.RStripChars(path, "/")
	names, ok := py_SENSITIVE_BY_LAST[string(lastSegment(path))]
	if !ok {
		return false
	}
	p := string(path)
	for _, name := range names {
		if p == name || (len(p) >= len(name)+1 && p[len(p)-len(name)-1:] == "/"+name) {
			return true
		}
	}
	return false
}

// Python: _one_path
func onePath(value []rune) bool {
	value = pystr.RStripChars(value, ". ")
	if py_SPACE.Rx().Search(value, 0) == nil {
		return true
	}
	for _, folder := range py_SPACED_FOLDERS {
		f := []rune(folder)
		value = pystr.Replace(value, f, pystr.Replace(f, []rune(" "), []rune("_")))
	}
	for _, word := range pystr.Fields(value) {
		if !pystr.Contains(word, runeSlash) {
			return false
		}
	}
	return true
}

// Python: _system_path
func systemPath(value []rune) string {
	switch {
	case pystr.HasPrefix(value, runeFile):
		value = pystr.LStripChars(value[5:], "/")
	case len(value) > 2 && value[1] == ':' && value[2] == '/' && pystr.IsAlpha(value[0]):
		value = value[3:]
	case pystr.HasPrefix(value, runeSlash):
		value = pystr.LStripChars(value, "/")
	default:
		return ""
	}
	if pystr.Contains(value, runeFakepath) { // browsers send C:\fakepath\<name> for uploads
		return ""
	}
	// segments = [s for s in value.split("/") if s]: only the first two are needed before the
	// roots are checked, all of them after
	first2 := firstSegments(value, 2)
	if len(first2) == 0 || (len(first2) < 2 && !pystr.Contains(first2[0], []rune("."))) {
		return ""
	}
	if !(pySYSTEM_ROOTS[string(first2[0])] || pySYSTEM_ROOTS[string(pystr.Join('/', first2))]) {
		return ""
	}
	if py_SYSTEM_FILE.Rx().Search(pystr.RStrip(pystr.Join('/', segments(value))), 0) != nil {
		return "system-file"
	}
	return "system-path"
}

// Detect is Python's detect(): the path-traversal structures of a normalised value.
//
// Python: detect
func Detect(text []rune, _ map[string]bool) []detectors.Span {
	if !pystr.Contains(text, runeSlash) && !pystr.Contains(text, runeBackslash) {
		return nil
	}
	plain := plain(text)
	var found []detectors.Span
	whole := pystr.Strip(plain)
	if len(whole) > 0 && pystr.Contains(whole, runeSlash) &&
		(whole[0] == '/' || (len(whole) >= 3 && whole[1] == ':' && whole[2] == '/') ||
			pystr.HasPrefix(whole, runeFile)) && onePath(whole) {
		if kind := systemPath(whole); kind != "" {
			at := pystr.Find(plain, whole, 0)
			found = append(found, detectors.Span{Kind: kind, Start: at, End: at + len(whole)})
		}
	}
	py_RUN.Rx().FindIter(plain, func(m *pyre.Match) bool {
		run := m.Group(0)
		body := run
		if pystr.HasPrefix(run, runeFile) {
			body = run[5:]
		} else if len(run) > 2 && run[1] == ':' {
			body = run[2:]
		}
		if !pystr.Contains(body, runeDotDot) && !pystr.Contains(body, runeSlashDot) {
			// climbs nowhere: only a sensitive last segment counts
			tail := pystr.RStripChars(body, "/")
			if _, ok := py_SENSITIVE_BY_LAST[string(lastSegment(tail))]; !ok {
				return true
			}
		}
		climbed, path := resolve(body)
		isSensitive := sensitive(path)
		start, end := m.Start(0), m.End(0)
		switch {
		case climbed >= 3 || (climbed != 0 && isSensitive):
			found = append(found, detectors.Span{Kind: "climb", Start: start, End: end})
		case climbed == 2:
			found = append(found, detectors.Span{Kind: "climb-2", Start: start, End: end})
		case climbed == 1:
			found = append(found, detectors.Span{Kind: "climb-1", Start: start, End: end})
		}
		if isSensitive && (climbed != 0 || pystr.HasPrefix(run, runeSlash) || pystr.HasPrefix(run, runeFile) ||
			(len(run) >= 2 && run[1] == ':')) {
			// a whole value that is the path (or a file:// URL) is a request for the file
			kind := "sensitive-mention"
			if climbed != 0 || pystr.Equal(pystr.Strip(run), whole) ||
				pystr.HasPrefix(whole, runeFile) || pystr.HasPrefix(whole, runeSlash) {
				kind = "sensitive-file"
			}
			found = append(found, detectors.Span{Kind: kind, Start: start, End: end})
		}
		if len(found) > 0 {
			if last := found[len(found)-1].Kind; last == "climb" || last == "sensitive-file" {
				return false
			}
		}
		return true
	})
	return found
}
