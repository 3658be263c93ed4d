package normalize

import "sort"

type cccSpan struct {
	lo, hi rune
	class  int
}

func combiningClass(r rune) int {
	i := sort.Search(len(ccc), func(i int) bool { return ccc[i].hi >= r })
	if i < len(ccc) && ccc[i].lo <= r {
		return ccc[i].class
	}
	return 0
}

// Hangul syllables (Unicode 3.12): decomposed and composed by arithmetic, as unicodedata does.
const (
	hangulS = 0xAC00
	hangulL = 0x1100
	hangulV = 0x1161
	hangulT = 0x11A7
	countL  = 19
	countV  = 21
	countT  = 28
	countN  = countV * countT
	countS  = countL * countN
)

// NFKC is unicodedata.normalize("NFKC", text) with the generating Python's tables.
//
// Example:
//
//	string(NFKC([]rune("ｆｉ"))) == "fi"
func NFKC(text []rune) []rune {
	decomposed := make([]rune, 0, len(text))
	for _, r := range text {
		switch {
		case r >= hangulS && r < hangulS+countS:
			s := r - hangulS
			decomposed = append(decomposed, hangulL+s/countN, hangulV+(s%countN)/countT)
			if t := s % countT; t != 0 {
				decomposed = append(decomposed, hangulT+t)
			}
		default:
			if m, ok := nfkd[r]; ok {
				decomposed = append(decomposed, m...)
			} else {
				decomposed = append(decomposed, r)
			}
		}
	}
	reorder(decomposed)
	return compose(decomposed)
}

// reorder sorts each run of non-starters by combining class, stably.
func reorder(s []rune) {
	for i := 0; i < len(s); {
		if combiningClass(s[i]) == 0 {
			i++
			continue
		}
		j := i
		for j < len(s) && combiningClass(s[j]) != 0 {
			j++
		}
		run := s[i:j]
		sort.SliceStable(run, func(a, b int) bool { return combiningClass(run[a]) < combiningClass(run[b]) })
		i = j
	}
}

func composePair(a, b rune) (rune, bool) {
	if a >= hangulL && a < hangulL+countL && b >= hangulV && b < hangulV+countV {
		return hangulS + ((a-hangulL)*countV+(b-hangulV))*countT, true
	}
	if a >= hangulS && a < hangulS+countS && (a-hangulS)%countT == 0 && b > hangulT && b < hangulT+countT {
		return a + (b - hangulT), true
	}
	c, ok := composePairs[[2]rune{a, b}]
	return c, ok
}

// compose is canonical composition (UAX #15): a character joins the last starter unless a
// character between them has class 0 or a class not lower than its own.
func compose(s []rune) []rune {
	if len(s) == 0 {
		return s
	}
	out := make([]rune, 0, len(s))
	out = append(out, s[0])
	starter := -1
	lastClass := combiningClass(s[0])
	if lastClass == 0 {
		starter = 0
	} else {
		lastClass = 256
	}
	for _, r := range s[1:] {
		class := combiningClass(r)
		if starter >= 0 && (lastClass < class || lastClass == 0) {
			if c, ok := composePair(out[starter], r); ok {
				out[starter] = c
				continue
			}
		}
		if class == 0 {
			starter = len(out)
		}
		lastClass = class
		out = append(out, r)
	}
	return out
}
