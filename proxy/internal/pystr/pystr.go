// Package pystr gives []rune the meaning Python's str methods give text: which code points are
// spaces, letters or digits, what lower() and casefold() make of them, where split() and strip()
// cut. The tables are generated at build time from the Python that names the guard's Unicode
// version (proxy/gen/generate.py), never from Go's own Unicode tables.
//
// Example:
//
//	pystr.Lower([]rune("ΟΔΟΣ")) // "οδος" with a final sigma: "οδος" → "οδος"[:3]+"ς"
//	pystr.IsSpace('\x1c')      // true, as "\x1c".isspace() in Python
package pystr

import "sort"

type span struct{ lo, hi rune }

func in(ranges []span, r rune) bool {
	i := sort.Search(len(ranges), func(i int) bool { return ranges[i].hi >= r })
	return i < len(ranges) && ranges[i].lo <= r
}

// IsAlnum is str.isalnum for one character.
func IsAlnum(r rune) bool { return in(isalnumRanges, r) }

// IsAlpha is str.isalpha for one character.
func IsAlpha(r rune) bool { return in(isalphaRanges, r) }

// IsDigit is str.isdigit for one character.
func IsDigit(r rune) bool { return in(isdigitRanges, r) }

// IsDecimal is str.isdecimal for one character.
func IsDecimal(r rune) bool { return in(isdecimalRanges, r) }

// IsNumeric is str.isnumeric for one character.
func IsNumeric(r rune) bool { return in(isnumericRanges, r) }

// IsSpace is str.isspace for one character.
func IsSpace(r rune) bool { return in(isspaceRanges, r) }

// IsUpper is str.isupper for one character.
func IsUpper(r rune) bool { return in(isupperRanges, r) }

// IsLower is str.islower for one character.
func IsLower(r rune) bool { return in(islowerRanges, r) }

// IsPrintable is str.isprintable for one character.
func IsPrintable(r rune) bool { return in(isprintableRanges, r) }

// IsIdentifier is str.isidentifier for one character.
func IsIdentifier(r rune) bool { return in(isidentifierRanges, r) }

func all(s []rune, test func(rune) bool) bool {
	if len(s) == 0 {
		return false
	}
	for _, r := range s {
		if !test(r) {
			return false
		}
	}
	return true
}

// AllAlnum is s.isalnum(): non-empty and every character alphanumeric.
func AllAlnum(s []rune) bool { return all(s, IsAlnum) }

// AllAlpha is s.isalpha().
func AllAlpha(s []rune) bool { return all(s, IsAlpha) }

// AllDigit is s.isdigit().
func AllDigit(s []rune) bool { return all(s, IsDigit) }

// AllSpace is s.isspace().
func AllSpace(s []rune) bool { return all(s, IsSpace) }

// IsASCII is s.isascii() (true for the empty string, as in Python).
func IsASCII(s []rune) bool {
	for _, r := range s {
		if r > 0x7f {
			return false
		}
	}
	return true
}

func mapped(s []rune, table map[rune][]rune) []rune {
	var out []rune
	for i, r := range s {
		m, ok := table[r]
		if !ok {
			if out != nil {
				out = append(out, r)
			}
			continue
		}
		if out == nil {
			out = make([]rune, i, len(s)+8)
			copy(out, s[:i])
		}
		out = append(out, m...)
	}
	if out == nil {
		return s
	}
	return out
}

// Upper is s.upper().
func Upper(s []rune) []rune { return mapped(s, upperMap) }

// CaseFold is s.casefold().
func CaseFold(s []rune) []rune { return mapped(s, casefoldMap) }

// Lower is s.lower(), Final_Sigma rule included.
func Lower(s []rune) []rune {
	var out []rune
	for i, r := range s {
		m, ok := lowerMap[r]
		if r == 0x3a3 {
			ok, m = true, []rune{0x3c3}
			if finalSigma(s, i) {
				m = []rune{0x3c2}
			}
		}
		if !ok {
			if out != nil {
				out = append(out, r)
			}
			continue
		}
		if out == nil {
			out = make([]rune, i, len(s)+8)
			copy(out, s[:i])
		}
		out = append(out, m...)
	}
	if out == nil {
		return s
	}
	return out
}

func finalSigma(s []rune, i int) bool {
	j := i - 1
	for j >= 0 && in(sigmaIgnorableRanges, s[j]) {
		j--
	}
	if j < 0 || !in(sigmaCasedRanges, s[j]) {
		return false
	}
	k := i + 1
	for k < len(s) && in(sigmaIgnorableRanges, s[k]) {
		k++
	}
	return k == len(s) || !in(sigmaCasedRanges, s[k])
}

// Strip is s.strip() (Python whitespace).
func Strip(s []rune) []rune { return RStrip(LStrip(s)) }

// LStrip is s.lstrip().
func LStrip(s []rune) []rune {
	i := 0
	for i < len(s) && IsSpace(s[i]) {
		i++
	}
	return s[i:]
}

// RStrip is s.rstrip().
func RStrip(s []rune) []rune {
	j := len(s)
	for j > 0 && IsSpace(s[j-1]) {
		j--
	}
	return s[:j]
}

// StripChars is s.strip(chars).
func StripChars(s []rune, chars string) []rune { return RStripChars(LStripChars(s, chars), chars) }

func has(chars string, r rune) bool {
	for _, c := range chars {
		if c == r {
			return true
		}
	}
	return false
}

// LStripChars is s.lstrip(chars).
func LStripChars(s []rune, chars string) []rune {
	i := 0
	for i < len(s) && has(chars, s[i]) {
		i++
	}
	return s[i:]
}

// RStripChars is s.rstrip(chars).
func RStripChars(s []rune, chars string) []rune {
	j := len(s)
	for j > 0 && has(chars, s[j-1]) {
		j--
	}
	return s[:j]
}

// Join is sep.join(parts) for a one-character separator.
func Join(sep rune, parts [][]rune) []rune {
	var out []rune
	for i, p := range parts {
		if i > 0 {
			out = append(out, sep)
		}
		out = append(out, p...)
	}
	return out
}

// Fields is s.split(): runs of non-whitespace.
func Fields(s []rune) [][]rune {
	var out [][]rune
	i := 0
	for i < len(s) {
		for i < len(s) && IsSpace(s[i]) {
			i++
		}
		if i == len(s) {
			break
		}
		j := i
		for j < len(s) && !IsSpace(s[j]) {
			j++
		}
		out = append(out, s[i:j])
		i = j
	}
	return out
}

// Find is s.find(sub, start): the index of sub at or after start, or -1.
func Find(s, sub []rune, start int) int {
	if start < 0 {
		start = 0
	}
	if len(sub) == 0 {
		if start <= len(s) {
			return start
		}
		return -1
	}
	first, rest := sub[0], sub[1:]
	last := len(s) - len(sub)
	for i := start; i <= last; i++ {
		if s[i] != first {
			continue
		}
		match := true
		for k, r := range rest {
			if s[i+1+k] != r {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

// RFind is s.rfind(sub): the last index of sub, or -1.
func RFind(s, sub []rune) int {
	for i := len(s) - len(sub); i >= 0; i-- {
		if Equal(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// Count is s.count(sub): non-overlapping occurrences (len(s)+1 for an empty sub, as Python).
func Count(s, sub []rune) int {
	if len(sub) == 0 {
		return len(s) + 1
	}
	n := 0
	for i := 0; i+len(sub) <= len(s); {
		if Equal(s[i:i+len(sub)], sub) {
			n++
			i += len(sub)
		} else {
			i++
		}
	}
	return n
}

// Contains is sub in s.
func Contains(s, sub []rune) bool { return Find(s, sub, 0) >= 0 }

// HasPrefix is s.startswith(p).
func HasPrefix(s, p []rune) bool { return len(s) >= len(p) && Equal(s[:len(p)], p) }

// HasSuffix is s.endswith(p).
func HasSuffix(s, p []rune) bool { return len(s) >= len(p) && Equal(s[len(s)-len(p):], p) }

// Equal compares two texts.
func Equal(a, b []rune) bool {
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

// Replace is s.replace(old, new) (old non-empty).
func Replace(s, old, new []rune) []rune {
	if len(old) == 0 {
		panic("pystr.Replace: empty old")
	}
	out := make([]rune, 0, len(s))
	last, found := 0, false
	for i := 0; i+len(old) <= len(s); {
		if Equal(s[i:i+len(old)], old) {
			out = append(out, s[last:i]...)
			out = append(out, new...)
			i += len(old)
			last, found = i, true
		} else {
			i++
		}
	}
	if !found {
		return s
	}
	return append(out, s[last:]...)
}

// Key is a map key for a text that keeps lone surrogates apart (string([]rune) turns them all
// into U+FFFD): each code point as four bytes.
func Key(r []rune) string {
	b := make([]byte, 0, 4*len(r))
	for _, c := range r {
		b = append(b, byte(c>>24), byte(c>>16), byte(c>>8), byte(c))
	}
	return string(b)
}
