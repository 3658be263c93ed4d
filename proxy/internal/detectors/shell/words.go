package shell

import (
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// scan is what one Detect call keeps.
type scan struct {
	budget int // Python: _GLOB_BUDGET[0], the glob lookups left for the value (reset by detect)
}

// inStrs is `t in tuple_of_str`.
func inStrs(t []rune, list []string) bool {
	for _, s := range list {
		if eq(t, s) {
			return true
		}
	}
	return false
}

// Python: _sensitive
func (sc *scan) sensitive(w *word) bool {
	t := w.text
	if prefixAny(t, pySENSITIVE_FILES) || prefixAny(t, pySENSITIVE_DIRS) {
		return true
	}
	win := w.win
	if prefixAny(win, pySENSITIVE_DIRS) || prefixAny(replaceRunes(win, "\\\\", "\\"), pySENSITIVE_DIRS) {
		return true
	}
	if eqi := indexRune(t, '=', 0); eqi >= 0 { // dd if=/etc/passwd
		return prefixAny(t[eqi+1:], pySENSITIVE_FILES)
	}
	if w.flags&pyGLOB != 0 && hasRune(t, '/') {
		hit, ok := sc.globFind(t, true)
		return ok && inStrs(hit, pySENSITIVE_FILES)
	}
	return false
}

// Python: _command_name (ok false for None)
func (sc *scan) commandName(w *word) (name string, byPath, ok bool) {
	t := w.text
	if len(t) == 0 {
		return "", false, false
	}
	if t[0] == '/' {
		if w.flags&pyGLOB != 0 {
			hit, found := sc.globFind(t, true)
			if !found || inStrs(hit, pySENSITIVE_FILES) {
				return "", false, false
			}
			return string(hit[lastIndexRune(hit, '/')+1:]), true, true
		}
		for _, d := range pyBIN_DIRS {
			if prefix(t, d) {
				base := removeSuffix(t[len([]rune(d)):], ".exe")
				if len(base) > 0 && pystr.AllAlnum(replaceRunes(replaceRunes(replaceRunes(base, "-", ""), "_", ""), ".", "")) {
					return string(base), true, true
				}
				return "", false, false
			}
		}
		return "", false, false
	}
	if hasRune(w.win, '\\') && py_WINPATH.Rx().MatchAt(w.win, 0) != nil { // c:\windows\system32\cmd.exe
		t = w.win[lastIndexRune(w.win, '\\')+1:]
	}
	t = removeSuffix(t, ".exe")
	if v, found := py_WIN_VARS[string(t)]; found {
		return v, true, true
	}
	if pyCOMMANDS[string(t)] {
		return string(t), false, true
	}
	if prefix(t, "python") && pystr.AllDigit(replaceRunes(t[6:], ".", "")) {
		return "python3", false, true
	}
	if w.flags&pyGLOB != 0 && !hasRune(t, '/') && !emphasis(t) {
		if hit, found := sc.globFind(t, false); found {
			return string(hit), false, true
		}
	}
	return "", false, false
}

// Python: _arg_level
func (sc *scan) argLevel(w *word, cmd string) int {
	t := w.text
	if len(t) == 0 {
		if w.flags&pyVAR != 0 {
			return 1
		}
		return 0
	}
	c := t[0]
	if sc.sensitive(w) {
		return 3
	}
	if c == '-' {
		if isAlnum1(sl(t, 1, 2)) || eq(sl(t, 1, 2), "-") && isAlnum1(sl(t, 2, 3)) {
			return 2
		}
		return 0
	}
	if c == '/' {
		if !eq(sl(t, 1, 2), "/") {
			return 2
		}
		return 1
	}
	if (c == '~' || c == '.') && (eq(t, "~") || eq(t, ".") || eq(t, "..") || prefix(t, "~/") || prefix(t, "./") || prefix(t, "../")) {
		return 2
	}
	if hasRune(w.win, '\\') && py_WINPATH.Rx().MatchAt(w.win, 0) != nil || c == '%' && py_WINPATH.Rx().MatchAt(t, 0) != nil {
		return 2
	}
	if py_URL.Rx().MatchAt(t, 0) != nil {
		if pyNETWORK[cmd] {
			return 2
		}
		return 1
	}
	if pystr.AllDigit(t) {
		if pyNUMERIC[cmd] {
			return 2
		}
		return 1
	}
	if pystr.IsDigit(c) && py_IP.Rx().FullMatch(t, 0, len(t)) != nil {
		return 2
	}
	if pyLOOKUPS[cmd] && pyCOMMANDS[string(t)] || pySUBCOMMANDS[cmd][string(t)] {
		return 2 // which gcc, net user
	}
	if cmd == "at" && py_CLOCK.Rx().FullMatch(t, 0, len(t)) != nil || cmd == "alias" && indexRune(t, '=', 0) >= 0 && pyCOMMANDS[string(t[indexRune(t, '=', 0)+1:])] {
		return 2 // at 2:00, alias ls=rm
	}
	if w.flags&pyVAR != 0 || py_FILE.Rx().FullMatch(t, 0, len(t)) != nil || py_HOST.Rx().FullMatch(t, 0, len(t)) != nil {
		return 1
	}
	return 0
}

// Python: _redir_level
func (sc *scan) redirLevel(o *op, target *word) int {
	var t []rune
	if target != nil {
		t = target.text
	}
	ot := o.text
	if hasRune(sl(ot, 1, len(ot)), '&') && (isDigit1(sl(ot, -1, len(ot))) || isDigit1(sl(t, 0, 1)) || prefix(t, "/dev/")) {
		if prefix(t, "/dev/tcp/") || prefix(t, "/dev/udp/") {
			return 3
		}
		return 2
	}
	if target == nil || len(t) == 0 {
		return 0
	}
	if sc.sensitive(target) || suffixAny(t, pySCRIPT_EXTS) {
		return 3
	}
	if prefix(t, "/") || prefix(t, "~/") || prefix(t, "./") || prefix(t, "../") || eq(ot, "<<<") {
		return 2
	}
	if py_FILE.Rx().FullMatch(t, 0, len(t)) != nil {
		return 1
	}
	return 0
}
