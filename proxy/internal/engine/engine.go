// Package engine ports lambda_layer/protect_lambda/engine.py: the rules (from the same rule
// files, embedded at build time), their validators and transforms, trigger selection, and the
// scan of one value (normalised inbound text through the patterns and the detectors, outbound
// text through the leak rules), with the same decisive early stops and the same bounded cache.
package engine

import (
	"embed"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/protect-lambda/protect-lambda/proxy/internal/contract"
	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors"
	"github.com/protect-lambda/protect-lambda/proxy/internal/normalize"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

//go:embed rules/*.json
var ruleFiles embed.FS

// Rule is one detection rule.
type Rule struct {
	ID            string   `json:"id"`
	Category      string   `json:"category"`
	Direction     string   `json:"direction"`
	Severity      string   `json:"severity"`
	Description   string   `json:"description"`
	Pattern       string   `json:"pattern"`
	Validator     string   `json:"validator"`
	CaseSensitive bool     `json:"case_sensitive"`
	Tags          []string `json:"tags"`
	Transform     string   `json:"transform"`
	Triggers      []string `json:"triggers"`
	Score         int      `json:"score"`
	Level         int      `json:"level"`
	Detector      string   `json:"detector"`
	Kind          string   `json:"kind"`
	Scores        []int    `json:"scores"`
}

// ScoreAt is Rule.score_at: the rule's score at a sensitivity level (0: off there).
func (r *Rule) ScoreAt(sensitivity int) int {
	if len(r.Scores) > 0 {
		i := sensitivity
		if i < 1 {
			i = 1
		}
		if i > len(r.Scores) {
			i = len(r.Scores)
		}
		return r.Scores[i-1]
	}
	if sensitivity >= r.Level {
		return r.Score
	}
	return 0
}

// LoadBuiltinRules is load_builtin_rules: the rule files in file-name order.
func LoadBuiltinRules() ([]*Rule, error) {
	entries, err := ruleFiles.ReadDir("rules")
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var rules []*Rule
	for _, name := range names {
		data, err := ruleFiles.ReadFile("rules/" + name)
		if err != nil {
			return nil, err
		}
		var doc struct {
			Rules []json.RawMessage `json:"rules"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, raw := range doc.Rules {
			r := &Rule{Score: contract.PyBLOCK_SCORE, Level: 1}
			if err := json.Unmarshal(raw, r); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if len(r.Scores) > 0 { // _level: the first level with a score
				r.Level = len(pyLEVELS)
				for i, s := range r.Scores {
					if s != 0 {
						r.Level = i + 1
						break
					}
				}
			}
			rules = append(rules, r)
		}
	}
	return rules, nil
}

// Match is a rule hit inside one scanned (normalised) text.
type Match struct {
	Rule       *Rule
	Text       []rune
	Start, End int
}

// RuleFlags is rule_flags: outbound rules ignore case unless case-sensitive.
func RuleFlags(r *Rule) int {
	if r.Direction == contract.PyDIRECTION_OUTBOUND && !r.CaseSensitive {
		return pyre.I
	}
	return 0
}

// --- validators ---

func luhnValid(text []rune) bool {
	var digits []int
	for _, c := range text {
		if c >= '0' && c <= '9' {
			digits = append(digits, int(c-'0'))
		}
	}
	if len(digits) < 12 || len(digits) > 19 {
		return false
	}
	distinct := map[int]bool{}
	for _, d := range digits {
		distinct[d] = true
	}
	if len(distinct) < 2 {
		return false
	}
	prefix4 := func(a, b, c, d int) bool { return digits[0] == a && digits[1] == b && digits[2] == c && digits[3] == d }
	if len(digits) == 12 {
		if !(digits[0] == 5 || digits[0] == 6 || prefix4(0, 6, 0, 4)) {
			return false
		}
	} else if !((digits[0] >= 2 && digits[0] <= 6) || prefix4(1, 8, 0, 0) || prefix4(0, 6, 0, 4)) {
		return false
	}
	total := 0
	for i := 0; i < len(digits); i++ {
		d := digits[len(digits)-1-i]
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		total += d
	}
	return total%10 == 0
}

func ssnValid(text []rune) bool {
	var digits []rune
	for _, c := range text {
		if c >= '0' && c <= '9' {
			digits = append(digits, c)
		}
	}
	if len(digits) != 9 {
		return false
	}
	area, group, serial := string(digits[:3]), string(digits[3:5]), string(digits[5:])
	return !(area == "000" || area == "666" || area[0] == '9' || group == "00" || serial == "0000")
}

var secretToken = pyre.NewLazy(`[A-Za-z0-9/+]{40}`, 0)

func awsSecretValid(text []rune) bool {
	var last []rune
	secretToken.Rx().FindIter(text, func(m *pyre.Match) bool {
		last = m.Group(0)
		return true
	})
	if last == nil {
		return false
	}
	lower, upper, digit, symbol := false, false, false, false
	distinct := map[rune]bool{}
	for _, c := range last {
		distinct[c] = true
		switch {
		case pystr.IsLower(c):
			lower = true
		case pystr.IsUpper(c):
			upper = true
		case pystr.IsDigit(c):
			digit = true
		}
		if c == '/' || c == '+' {
			symbol = true
		}
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit, symbol} {
		if b {
			classes++
		}
	}
	return classes >= 3 && len(distinct) >= 12
}

// Validators a rule may name.
var Validators = map[string]func([]rune) bool{"luhn": luhnValid, "ssn": ssnValid, "aws_secret": awsSecretValid}

// Transforms a rule may ask for.
var Transforms = map[string]func([]rune) []rune{"shell": normalize.ShellSquash, "log4j": normalize.Log4jResolve}

// --- trigger groups ---

type compiled struct {
	rule      *Rule
	triggers  []string
	folded    bool
	validator func([]rune) bool
	regex     *pyre.Lazy
}

func newCompiled(r *Rule) *compiled {
	c := &compiled{rule: r, folded: RuleFlags(r) != 0, regex: pyre.NewLazy(r.Pattern, RuleFlags(r))}
	set := map[string]bool{}
	for _, t := range r.Triggers {
		if c.folded {
			t = string(pystr.Lower([]rune(t)))
		}
		set[t] = true
	}
	all := make([]string, 0, len(set))
	for t := range set {
		all = append(all, t)
	}
	sort.Slice(all, func(i, j int) bool {
		if len([]rune(all[i])) != len([]rune(all[j])) {
			return len([]rune(all[i])) < len([]rune(all[j]))
		}
		return all[i] < all[j]
	})
	for _, t := range all {
		contained := false
		for _, o := range c.triggers {
			if strings.Contains(t, o) {
				contained = true
				break
			}
		}
		if !contained {
			c.triggers = append(c.triggers, t)
		}
	}
	if r.Validator != "" {
		c.validator = Validators[r.Validator]
	}
	return c
}

type triggerRule struct {
	trigger []rune
	index   int
}

type group struct {
	compiled []*compiled
	always   []int
	single   map[rune][]int
	multi    map[rune][]triggerRule
	folded   []struct {
		trigger []rune
		indices []int
	}
}

func newGroup(rules []*Rule) *group {
	g := &group{single: map[rune][]int{}, multi: map[rune][]triggerRule{}}
	type key struct {
		folded  bool
		trigger string
	}
	byTrigger := map[key][]int{}
	for i, r := range rules {
		c := newCompiled(r)
		g.compiled = append(g.compiled, c)
		if len(c.triggers) == 0 {
			g.always = append(g.always, i)
		}
		for _, t := range c.triggers {
			k := key{c.folded, t}
			byTrigger[k] = append(byTrigger[k], i)
		}
	}
	keys := make([]key, 0, len(byTrigger))
	for k := range byTrigger {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { // Python sorts (folded, trigger) tuples
		if keys[i].folded != keys[j].folded {
			return !keys[i].folded
		}
		return pyLess([]rune(keys[i].trigger), []rune(keys[j].trigger))
	})
	for _, k := range keys {
		t := []rune(k.trigger)
		if k.folded {
			g.folded = append(g.folded, struct {
				trigger []rune
				indices []int
			}{t, byTrigger[k]})
			continue
		}
		if len(t) == 1 {
			g.single[t[0]] = byTrigger[k]
		} else {
			for _, i := range byTrigger[k] {
				g.multi[t[0]] = append(g.multi[t[0]], triggerRule{t, i})
			}
		}
	}
	return g
}

// pyLess orders texts as Python compares str: by code point.
func pyLess(a, b []rune) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

func (g *group) scan(text []rune) []Match {
	selected := map[int]bool{}
	for _, i := range g.always {
		selected[i] = true
	}
	if len(g.single) > 0 || len(g.multi) > 0 {
		var ascii [128]bool
		var seen map[rune]bool
		for _, ch := range text {
			if ch < 128 {
				if ascii[ch] {
					continue
				}
				ascii[ch] = true
			} else {
				if seen == nil {
					seen = map[rune]bool{}
				}
				if seen[ch] {
					continue
				}
				seen[ch] = true
			}
			for _, i := range g.single[ch] {
				selected[i] = true
			}
			for _, tr := range g.multi[ch] {
				if !selected[tr.index] && pystr.Contains(text, tr.trigger) {
					selected[tr.index] = true
				}
			}
		}
	}
	if len(g.folded) > 0 {
		lowered := pystr.Lower(text)
		for _, f := range g.folded {
			if pystr.Contains(lowered, f.trigger) {
				for _, i := range f.indices {
					selected[i] = true
				}
			}
		}
	}
	order := make([]int, 0, len(selected))
	for i := range selected {
		order = append(order, i)
	}
	sort.Ints(order)
	var found []Match
	for _, i := range order {
		c := g.compiled[i]
		rx := c.regex.Rx()
		if c.validator == nil {
			if m := rx.Search(text, 0); m != nil {
				found = append(found, Match{c.rule, text, m.Start(0), m.End(0)})
			}
			continue
		}
		for m := rx.Search(text, 0); m != nil; m = rx.Search(text, m.Start(0)+1) {
			if c.validator(m.Group(0)) {
				found = append(found, Match{c.rule, text, m.Start(0), m.End(0)})
				break
			}
		}
	}
	return found
}

// --- the engine ---

// Detector is one detector's Detect: the structures of a normalised text; it may stop reading once
// it found a kind of its second argument (they decide the value on their own).
type Detector func([]rune, map[string]bool) []detectors.Span

// LeadDetector is lead_detector: the detector most likely to decide a normalised value.
func LeadDetector(text []rune) string {
	has := func(s string) bool { return pystr.Contains(text, []rune(s)) }
	switch {
	case has("<"):
		return "html"
	case has("../") || has("..\\"):
		return "paths"
	case has("'") || has("\"") || has("union") || has("select"):
		return "sql"
	case has(";") || has("|") || has("`") || has("$(") || has("&&"):
		return "shell"
	}
	return ""
}

type detectorEntry struct {
	name   string
	detect Detector
	kinds  map[string]*Rule
}

type groupKey struct {
	direction, transform string
	after                bool
}

type cached struct {
	matches  []Match
	complete bool
}

// Engine is RuleEngine: compiled rules, one value at a time.
type Engine struct {
	Rules       []*Rule
	detectors   []detectorEntry
	orders      map[string][]int
	inbound     *group
	after       *group
	outbound    *group
	transformed []struct {
		transform func([]rune) []rune
		group     *group
	}
	cache map[string]cached
}

// CompileAll compiles every rule's pattern now (they are otherwise compiled on their first
// triggered use): RuleEngine.compile_all, for initialisations ahead of traffic.
func (e *Engine) CompileAll() {
	groups := []*group{e.inbound, e.after, e.outbound}
	for _, t := range e.transformed {
		groups = append(groups, t.group)
	}
	for _, g := range groups {
		if g == nil {
			continue
		}
		for _, c := range g.compiled {
			if c.rule.Pattern != "" {
				c.regex.Rx()
			}
		}
	}
}

// New is RuleEngine(rules): detect maps a detector name to its Detect (every detector a rule
// names must be given).
func New(rules []*Rule, detect map[string]Detector) (*Engine, error) {
	e := &Engine{Rules: rules, cache: map[string]cached{}, orders: map[string][]int{}}
	seen := map[string]bool{}
	byDetector := map[string]map[string]*Rule{}
	detected := map[string]bool{}
	for _, r := range rules {
		if seen[r.ID] {
			return nil, fmt.Errorf("rule %q: field 'id' is duplicated", r.ID)
		}
		seen[r.ID] = true
		if r.Detector != "" && r.Direction == contract.PyDIRECTION_INBOUND {
			if byDetector[r.Detector] == nil {
				byDetector[r.Detector] = map[string]*Rule{}
			}
			byDetector[r.Detector][r.Kind] = r
			detected[r.Category] = true
		}
	}
	groups := map[groupKey][]*Rule{}
	var keys []groupKey
	for _, r := range rules {
		if r.Detector != "" {
			continue
		}
		k := groupKey{r.Direction, r.Transform, r.Direction == contract.PyDIRECTION_INBOUND && r.Transform == "" && detected[r.Category]}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.direction != b.direction {
			return a.direction < b.direction
		}
		if a.transform != b.transform {
			return a.transform < b.transform
		}
		return !a.after && b.after
	})
	built := map[groupKey]*group{}
	for _, k := range keys {
		built[k] = newGroup(groups[k])
	}
	empty := newGroup(nil)
	get := func(k groupKey) *group {
		if g, ok := built[k]; ok {
			return g
		}
		return empty
	}
	e.inbound = get(groupKey{contract.PyDIRECTION_INBOUND, "", false})
	e.after = get(groupKey{contract.PyDIRECTION_INBOUND, "", true})
	e.outbound = get(groupKey{contract.PyDIRECTION_OUTBOUND, "", false})
	for _, k := range keys {
		if k.direction == contract.PyDIRECTION_INBOUND && k.transform != "" {
			e.transformed = append(e.transformed, struct {
				transform func([]rune) []rune
				group     *group
			}{Transforms[k.transform], built[k]})
		}
	}
	for _, name := range pyDETECTORS { // the order they run in
		kinds, ok := byDetector[name]
		if !ok {
			continue
		}
		fn, ok := detect[name]
		if !ok {
			return nil, fmt.Errorf("no Go detector %q", name)
		}
		e.detectors = append(e.detectors, detectorEntry{name, fn, kinds})
	}
	for i, d := range e.detectors {
		order := []int{i}
		for j := range e.detectors {
			if j != i {
				order = append(order, j)
			}
		}
		e.orders[d.name] = order
	}
	return e, nil
}

// DetectorMaxChars is DETECTOR_MAX_CHARS: the characters of one value the detectors read.
var DetectorMaxChars = pyDETECTOR_MAX_CHARS

// ClearCache forgets cached results.
func (e *Engine) ClearCache() { e.cache = map[string]cached{} }

func anyDecisive(matches []Match, decisive map[string]bool) bool {
	for _, m := range matches {
		if decisive[m.Rule.ID] {
			return true
		}
	}
	return false
}

// Scan is RuleEngine.scan: the matches of the rules of a direction in one value.
func (e *Engine) Scan(value []rune, direction string, decisive map[string]bool) ([]Match, error) {
	short := len(value) <= pyCACHE_MAX_VALUE_CHARS
	key := ""
	if short {
		// the decisive rules are part of the key, as in the Python (equal sets from different maps
		// only miss the cache: their results are the same)
		key = fmt.Sprintf("%x:", reflect.ValueOf(decisive).Pointer()) + direction + "\x00" + pystr.Key(value)
		if c, ok := e.cache[key]; ok {
			if c.complete || anyDecisive(c.matches, decisive) {
				return append([]Match(nil), c.matches...), nil
			}
		}
	}
	complete := true
	var found []Match
	if direction != contract.PyDIRECTION_INBOUND {
		found = e.outbound.scan(value)
	} else {
		text, err := normalize.Normalize(value)
		if err != nil {
			return nil, err
		}
		found, complete = e.scanInbound(text, decisive)
		if complete && len(value) >= 12 {
			if decoded, ok := normalize.Base64Text(value); ok {
				have := map[string]bool{}
				for _, m := range found {
					have[m.Rule.ID] = true
				}
				text2, err := normalize.Normalize(decoded)
				if err != nil {
					return nil, err
				}
				var more []Match
				more, complete = e.scanInbound(text2, decisive)
				for _, m := range more {
					if !have[m.Rule.ID] {
						found = append(found, m)
					}
				}
			}
		}
	}
	if short {
		if len(e.cache) >= pyCACHE_MAX_ENTRIES {
			e.ClearCache()
		}
		e.cache[key] = cached{append([]Match(nil), found...), complete}
	}
	return found, nil
}

func firstPerRule(found []Match) []Match {
	if len(found) < 2 {
		return found
	}
	seen := map[string]bool{}
	var kept []Match
	for _, m := range found {
		if !seen[m.Rule.ID] {
			seen[m.Rule.ID] = true
			kept = append(kept, m)
		}
	}
	return kept
}

// Python: _detect_bounded
func detectBounded(detect Detector, text []rune, stop map[string]bool) []detectors.Span {
	if len(text) <= pyDETECTOR_MAX_CHARS {
		return detect(text, stop)
	}
	half := pyDETECTOR_MAX_CHARS / 2
	offset := len(text) - half
	out := append([]detectors.Span(nil), detect(text[:half], stop)...)
	if detectors.Stopped(out, 0, stop) {
		return out
	}
	for _, s := range detect(text[offset:], stop) {
		out = append(out, detectors.Span{Kind: s.Kind, Start: s.Start + offset, End: s.End + offset})
	}
	return out
}

func (e *Engine) scanInbound(text []rune, decisive map[string]bool) ([]Match, bool) {
	found := e.inbound.scan(text)
	if len(decisive) > 0 && anyDecisive(found, decisive) {
		return found, false
	}
	if len(e.detectors) > 0 {
		var order []int
		if len(decisive) > 0 {
			order = e.orders[LeadDetector(text)]
		}
		if order == nil {
			for i := range e.detectors {
				order = append(order, i)
			}
		}
		per := make([][]Match, len(e.detectors))
		for _, index := range order {
			d := e.detectors[index]
			decided := false
			var stop map[string]bool // the kinds of d that decide the value
			for kind, rule := range d.kinds {
				if decisive[rule.ID] {
					if stop == nil {
						stop = map[string]bool{}
					}
					stop[kind] = true
				}
			}
			for _, s := range detectBounded(d.detect, text, stop) {
				if rule, ok := d.kinds[s.Kind]; ok {
					per[index] = append(per[index], Match{rule, text, s.Start, s.End})
					decided = decided || decisive[rule.ID]
				}
			}
			if decided {
				var all []Match
				for _, hits := range per {
					all = append(all, hits...)
				}
				return append(found, firstPerRule(all)...), false
			}
		}
		var all []Match
		for _, hits := range per {
			all = append(all, hits...)
		}
		found = append(found, firstPerRule(all)...)
	}
	found = append(found, e.after.scan(text)...)
	if len(decisive) > 0 && anyDecisive(found, decisive) {
		return found, false
	}
	for _, t := range e.transformed {
		changed := t.transform(text)
		if !pystr.Equal(changed, text) {
			have := map[string]bool{}
			for _, m := range found {
				have[m.Rule.ID] = true
			}
			for _, m := range t.group.scan(changed) {
				if !have[m.Rule.ID] {
					found = append(found, m)
				}
			}
		}
	}
	return found, true
}
