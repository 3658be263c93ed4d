package shell

import "github.com/protect-lambda/protect-lambda/proxy/internal/pystr"

// Helpers giving []rune Python's str operations used by shell.py. Constants are Go strings
// (ASCII or valid UTF-8), compared code point by code point.

// sl is Python's t[a:b] (negative indices count from the end, bounds clamp).
func sl(t []rune, a, b int) []rune {
	n := len(t)
	if a < 0 {
		a = max(a+n, 0)
	}
	if b < 0 {
		b = max(b+n, 0)
	}
	a = min(a, n)
	b = min(b, n)
	if a >= b {
		return t[a:a]
	}
	return t[a:b]
}

// eq is t == s.
func eq(t []rune, s string) bool {
	i := 0
	for _, r := range s {
		if i >= len(t) || t[i] != r {
			return false
		}
		i++
	}
	return i == len(t)
}

// prefix is t.startswith(s).
func prefix(t []rune, s string) bool {
	i := 0
	for _, r := range s {
		if i >= len(t) || t[i] != r {
			return false
		}
		i++
	}
	return true
}

// suffix is t.endswith(s).
func suffix(t []rune, s string) bool {
	r := []rune(s)
	return pystr.HasSuffix(t, r)
}

// prefixAny is t.startswith(tuple).
func prefixAny(t []rune, list []string) bool {
	for _, s := range list {
		if prefix(t, s) {
			return true
		}
	}
	return false
}

// suffixAny is t.endswith(tuple).
func suffixAny(t []rune, list []string) bool {
	for _, s := range list {
		if suffix(t, s) {
			return true
		}
	}
	return false
}

// in is sub in t (substring).
func in(t []rune, sub string) bool { return pystr.Find(t, []rune(sub), 0) >= 0 }

// hasRune is c in t for one character.
func hasRune(t []rune, c rune) bool {
	for _, r := range t {
		if r == c {
			return true
		}
	}
	return false
}

// indexRune is t.find(c, start) for one character.
func indexRune(t []rune, c rune, start int) int {
	for i := max(start, 0); i < len(t); i++ {
		if t[i] == c {
			return i
		}
	}
	return -1
}

// lastIndexRune is t.rfind(c) for one character.
func lastIndexRune(t []rune, c rune) int {
	for i := len(t) - 1; i >= 0; i-- {
		if t[i] == c {
			return i
		}
	}
	return -1
}

// charIn is `c in "..."` for one character c (callers test an empty slice first, as Python's
// code does: "" in s would be True).
func charIn(c rune, chars string) bool {
	for _, r := range chars {
		if r == c {
			return true
		}
	}
	return false
}

// cat is a + b + ... as a new slice.
func cat(parts ...[]rune) []rune {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]rune, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// removeSuffix is t.removesuffix(s).
func removeSuffix(t []rune, s string) []rune {
	if len(s) > 0 && suffix(t, s) {
		return t[:len(t)-len([]rune(s))]
	}
	return t
}

// replaceRunes is t.replace(old, new) for strings.
func replaceRunes(t []rune, old, new string) []rune {
	return pystr.Replace(t, []rune(old), []rune(new))
}

// disjoint is set.isdisjoint(text) for a frozenset of one-character strings.
func disjoint(set map[string]bool, text []rune) bool {
	for _, r := range text {
		if set[string(r)] {
			return false
		}
	}
	return true
}

// anyAlnum is any(c.isalnum() for c in t).
func anyAlnum(t []rune) bool {
	for _, r := range t {
		if pystr.IsAlnum(r) {
			return true
		}
	}
	return false
}

// isAlnum1 is s.isalnum() for a string of at most one character (t[i:i+1]).
func isAlnum1(t []rune) bool { return len(t) == 1 && pystr.IsAlnum(t[0]) }

// isAlpha1 is s.isalpha() for a string of at most one character.
func isAlpha1(t []rune) bool { return len(t) == 1 && pystr.IsAlpha(t[0]) }

// isDigit1 is s.isdigit() for a string of at most one character.
func isDigit1(t []rune) bool { return len(t) == 1 && pystr.IsDigit(t[0]) }

// key is a lossless map key for a text (string([]rune) maps lone surrogates to U+FFFD).
func key(t []rune) string {
	b := make([]byte, 0, 3*len(t))
	for _, r := range t {
		b = append(b, byte(r>>16), byte(r>>8), byte(r))
	}
	return string(b)
}

// Python: _emphasis
func emphasis(t []rune) bool {
	inner := pystr.StripChars(t, "*")
	return len(t) > 0 && t[0] == '*' && pystr.AllAlnum(replaceRunes(replaceRunes(inner, "-", ""), "_", ""))
}

// IsCommand is `t in COMMANDS`: a command name the detector knows.
func IsCommand(t []rune) bool { return pyCOMMANDS[string(t)] }
