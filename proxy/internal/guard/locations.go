package guard

import (
	"fmt"

	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// Exclusion is locations.Exclusion: a rule (Rule) or a category (Category) turned "off" or to
// "monitor" at a location and everything under it ("[*]" any index, "*" any one key).
type Exclusion struct {
	Rule, Category, Location, Action string
	segments                         []segment
	keySuffix                        bool
}

type segment struct {
	key      []rune // nil: "*"
	indices  [][]rune
	wildcard []bool
}

// Compile parses the location pattern (validated at synth by the Python; malformed here is an
// error all the same).
func (e *Exclusion) Compile() error {
	text := pystr.Strip([]rune(e.Location))
	if len(text) == 0 {
		return fmt.Errorf("location: must be a non-empty string")
	}
	if pystr.HasSuffix(text, []rune("#key")) {
		text, e.keySuffix = text[:len(text)-4], true
	}
	e.segments = nil
	for _, part := range splitDots(text) {
		var s segment
		i := 0
		if len(part) > 0 && part[0] == '*' {
			i = 1
		} else {
			for i < len(part) && part[i] != '.' && part[i] != '[' && part[i] != ']' && part[i] != '*' && part[i] != '#' {
				i++
			}
			if i == 0 {
				return fmt.Errorf("location %q: segment %q is not a key with optional [n] / [*] indices", e.Location, string(part))
			}
			s.key = part[:i]
		}
		for i < len(part) {
			if part[i] != '[' {
				return fmt.Errorf("location %q: segment %q is not a key with optional [n] / [*] indices", e.Location, string(part))
			}
			j := i + 1
			for j < len(part) && part[j] != ']' {
				j++
			}
			if j >= len(part) {
				return fmt.Errorf("location %q: segment %q is not a key with optional [n] / [*] indices", e.Location, string(part))
			}
			index := part[i+1 : j]
			wild := len(index) == 1 && index[0] == '*'
			if !wild && (len(index) == 0 || len(index) > 9 || !allDecimal(index)) {
				return fmt.Errorf("location %q: segment %q is not a key with optional [n] / [*] indices", e.Location, string(part))
			}
			s.indices = append(s.indices, index)
			s.wildcard = append(s.wildcard, wild)
			i = j + 1
		}
		e.segments = append(e.segments, s)
	}
	if len(e.segments) > 32 {
		return fmt.Errorf("location %q: at most 32 segments", e.Location)
	}
	return nil
}

func splitDots(text []rune) [][]rune {
	var out [][]rune
	last := 0
	for i, r := range text {
		if r == '.' {
			out = append(out, text[last:i])
			last = i + 1
		}
	}
	return append(out, text[last:])
}

func allDecimal(s []rune) bool {
	for _, r := range s {
		if !pystr.IsDecimal(r) {
			return false
		}
	}
	return true
}

// Covers is Exclusion.covers: whether a finding of rule (of category) at location is excluded.
func (e *Exclusion) Covers(rule, category string, location []rune) bool {
	if (e.Rule != "" && e.Rule != rule) || (e.Category != "" && e.Category != category) {
		return false
	}
	pos := 0
	for n, s := range e.segments {
		if n > 0 {
			if pos >= len(location) || location[pos] != '.' {
				return false
			}
			pos++
		}
		if s.key == nil { // [^.\[#]+
			start := pos
			for pos < len(location) && location[pos] != '.' && location[pos] != '[' && location[pos] != '#' {
				pos++
			}
			if pos == start {
				return false
			}
		} else {
			if len(location)-pos < len(s.key) || !pystr.Equal(location[pos:pos+len(s.key)], s.key) {
				return false
			}
			pos += len(s.key)
		}
		for k, index := range s.indices {
			if pos >= len(location) || location[pos] != '[' {
				return false
			}
			pos++
			if s.wildcard[k] { // \d+
				start := pos
				for pos < len(location) && pystr.IsDecimal(location[pos]) {
					pos++
				}
				if pos == start {
					return false
				}
			} else {
				if len(location)-pos < len(index) || !pystr.Equal(location[pos:pos+len(index)], index) {
					return false
				}
				pos += len(index)
			}
			if pos >= len(location) || location[pos] != ']' {
				return false
			}
			pos++
		}
	}
	if e.keySuffix {
		return pystr.Equal(location[pos:], []rune("#key"))
	}
	return pos == len(location) || location[pos] == '.' || location[pos] == '[' || location[pos] == '#'
}
