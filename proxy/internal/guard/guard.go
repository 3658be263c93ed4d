// Package guard ports lambda_layer/protect_lambda/guard.py: one event or response inspected
// against the rules, findings scored per request (or batch record), blocked at the block score.
//
// Example:
//
//	g, _ := guard.New(guard.Options{Mode: "block", Sensitivity: 1})
//	event, _ := pyjson.Parse([]byte(`{"queryStringParameters": {"q": "<script>alert(1)</script>"}}`))
//	v, _ := g.InspectEvent(event) // v.Blocked, v.Findings[0].Category == "xss"
package guard

import (
	"fmt"
	"strings"

	"github.com/protect-lambda/protect-lambda/proxy/internal/adapters"
	"github.com/protect-lambda/protect-lambda/proxy/internal/contract"
	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors/html"
	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors/paths"
	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors/shell"
	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors/sql"
	"github.com/protect-lambda/protect-lambda/proxy/internal/engine"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// Detectors are the ported detectors, by name.
var Detectors = map[string]engine.Detector{
	"paths": paths.Detect, "html": html.Detect, "sql": sql.Detect, "shell": shell.Detect,
}

// Finding is one rule hit at one location.
type Finding struct {
	RuleID, Category, Direction, Severity string
	Location                              []rune
	Action                                string
	RecordIndex                           int // adapters.NoRecord: not in a batch record
	Match                                 engine.Match
	Score                                 int
}

// Verdict is what the guard found in one event or response.
type Verdict struct {
	Blocked  bool
	Source   string
	Findings []Finding
}

// Options are the Guard's arguments (those `protect-lambda scan` gives).
type Options struct {
	Mode              string
	Sensitivity       int
	RuleOverrides     map[string]string
	CategoryOverrides map[string]string
	Exclusions        []Exclusion
	// CustomRules are added to the built-in ones (validated by the Python, their patterns'
	// translations registered with pyre.Register).
	CustomRules []*engine.Rule
	Limits      *adapters.Limits
}

// Guard inspects events and responses.
type Guard struct {
	mode, categoryDefaultMonitor string
	sensitivity                  int
	limits                       adapters.Limits
	ruleOverrides                map[string]string
	categoryOverrides            map[string]string
	engine                       *engine.Engine
	actions                      map[string]string
	scores                       map[string]int
	decisive                     map[string]bool
	exclusions                   []Exclusion
}

func limitRule(id, category, direction, severity, what string) *engine.Rule {
	return &engine.Rule{ID: id, Category: category, Direction: direction, Severity: severity, Description: what,
		Pattern: "(?!)", Score: contract.PyBLOCK_SCORE, Level: 1}
}

var (
	oversizeRules = map[string]*engine.Rule{
		"inbound":  limitRule("limit-001", pyOVERSIZE_CATEGORY, "inbound", "low", "event exceeds the inspection limits; only the part within them was scanned"),
		"outbound": limitRule("limit-002", pyOVERSIZE_CATEGORY, "outbound", "low", "response exceeds the inspection limits; only the part within them was scanned"),
	}
	uninspectedRules = map[string]*engine.Rule{
		"inbound":  limitRule("limit-003", pyUNINSPECTED_CATEGORY, "inbound", "high", "part of the event was not inspected (nesting too deep or too many values)"),
		"outbound": limitRule("limit-004", pyUNINSPECTED_CATEGORY, "outbound", "low", "part of the response was not inspected (nesting too deep or too many values)"),
	}
	limitRules = []*engine.Rule{oversizeRules["inbound"], oversizeRules["outbound"], uninspectedRules["inbound"], uninspectedRules["outbound"]}
)

func checkOverrides(name string, overrides map[string]string) error {
	for k, v := range overrides {
		ok := false
		for _, a := range contract.PyOVERRIDE_ACTIONS {
			ok = ok || a == v
		}
		if !ok {
			return fmt.Errorf("%s[%q] must be one of %v, got %q", name, k, contract.PyOVERRIDE_ACTIONS, v)
		}
	}
	return nil
}

// CompileAll compiles every rule now (Python: build_guard with a prewarmed initialisation).
func (g *Guard) CompileAll() { g.engine.CompileAll() }

// New builds a Guard (the built-in rules; custom rules and exclusions are not ported yet).
func New(o Options) (*Guard, error) {
	if o.Mode == "" {
		o.Mode = contract.PyMODE_BLOCK
	}
	if o.Sensitivity == 0 {
		o.Sensitivity = contract.PyDEFAULT_SENSITIVITY
	}
	if o.Mode != contract.PyMODE_BLOCK && o.Mode != contract.PyMODE_MONITOR {
		return nil, fmt.Errorf("mode must be one of %v, got %q", contract.PyMODES, o.Mode)
	}
	if o.Sensitivity < 1 || o.Sensitivity > 4 {
		return nil, fmt.Errorf("sensitivity must be one of %v, got %d", contract.PySENSITIVITY_LEVELS, o.Sensitivity)
	}
	if err := checkOverrides("rule_overrides", o.RuleOverrides); err != nil {
		return nil, err
	}
	if err := checkOverrides("category_overrides", o.CategoryOverrides); err != nil {
		return nil, err
	}
	g := &Guard{mode: o.Mode, sensitivity: o.Sensitivity, limits: adapters.DefaultLimits,
		ruleOverrides: o.RuleOverrides, categoryOverrides: o.CategoryOverrides,
		actions: map[string]string{}, scores: map[string]int{}, decisive: map[string]bool{}}
	if o.Limits != nil {
		g.limits = *o.Limits
	}
	for _, e := range o.Exclusions {
		if e.Action == "" {
			e.Action = "off"
		}
		if err := e.Compile(); err != nil {
			return nil, err
		}
		g.exclusions = append(g.exclusions, e)
	}
	rules, err := engine.LoadBuiltinRules()
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, r := range rules {
		taken[r.ID] = true
	}
	for _, r := range o.CustomRules {
		if taken[r.ID] {
			return nil, fmt.Errorf("rule %q: field 'id' is duplicated", r.ID)
		}
		taken[r.ID] = true
		rules = append(rules, r)
	}
	var kept []*engine.Rule
	for _, r := range rules {
		if g.setting(r) != "off" {
			kept = append(kept, r)
		}
	}
	if g.engine, err = engine.New(kept, Detectors); err != nil {
		return nil, err
	}
	for _, r := range kept {
		g.actions[r.ID] = g.action(r)
		g.scores[r.ID] = g.score(r)
	}
	for _, r := range limitRules {
		if g.setting(r) != "off" {
			g.actions[r.ID] = g.action(r)
			g.scores[r.ID] = contract.PyBLOCK_SCORE
		}
	}
	for _, r := range kept {
		excluded := false
		for _, e := range g.exclusions {
			excluded = excluded || e.Rule == r.ID || e.Category == r.Category
		}
		if g.actions[r.ID] == "blocked" && g.scores[r.ID] >= contract.PyBLOCK_SCORE &&
			!(r.Detector == "" && pyPROSE_DAMPED_CATEGORIES[r.Category]) && !excluded {
			g.decisive[r.ID] = true
		}
	}
	return g, nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func (g *Guard) setting(r *engine.Rule) string {
	if explicit, ok := g.ruleOverrides[r.ID]; ok {
		return explicit
	}
	if r.ScoreAt(g.sensitivity) == 0 {
		return "off"
	}
	return firstNonEmpty(g.categoryOverrides[r.Category], pyRULE_DEFAULTS[r.ID], pyCATEGORY_DEFAULTS[r.Category], g.mode)
}

func (g *Guard) score(r *engine.Rule) int {
	score := r.ScoreAt(g.sensitivity)
	if score == 0 {
		score = r.Score
	}
	if g.ruleOverrides[r.ID] == contract.PyMODE_BLOCK && score < contract.PyBLOCK_SCORE {
		return contract.PyBLOCK_SCORE
	}
	return score
}

func (g *Guard) action(r *engine.Rule) string {
	if g.setting(r) == contract.PyMODE_BLOCK {
		return "blocked"
	}
	return "detected"
}

// InspectEvent scans an event with the inbound rules.
func (g *Guard) InspectEvent(event *pyjson.Value) (Verdict, error) {
	source, budget := adapters.CollectEvent(event, g.limits)
	return g.verdict(source, budget, contract.PyDIRECTION_INBOUND)
}

// InspectResponse scans a handler's return value with the outbound rules; the source is the
// event's (given) or "response".
func (g *Guard) InspectResponse(response, event *pyjson.Value, haveEvent bool) (Verdict, error) {
	source := "response"
	if haveEvent {
		source = adapters.DetectSource(event)
	}
	return g.verdict(source, adapters.CollectResponse(response, g.limits), contract.PyDIRECTION_OUTBOUND)
}

func (g *Guard) verdict(source string, budget *adapters.Budget, direction string) (Verdict, error) {
	var found []Finding
	seen := map[string][]engine.Match{}
	for _, item := range budget.Out {
		key := pystr.Key(item.Value)
		matches, ok := seen[key]
		if !ok {
			var err error
			if matches, err = g.engine.Scan(item.Value, direction, g.decisive); err != nil {
				return Verdict{}, err
			}
			seen[key] = matches
			if len(item.Value) > engine.DetectorMaxChars && budget.Truncated == "" && direction == contract.PyDIRECTION_INBOUND {
				budget.Truncated = pyDETECTORS_CUT
				budget.TruncatedLocation = item.Location
			}
		}
		prose := 0 // 0 unknown, 1 prose, 2 not
		first := len(found)
		for _, m := range matches {
			rule := m.Rule
			action := g.actions[rule.ID]
			score := g.scores[rule.ID]
			if rule.Detector == "" && pyPROSE_DAMPED_CATEGORIES[rule.Category] && score > 1 {
				if prose == 0 {
					prose = 2
					if LooksLikeProse(m.Text) {
						prose = 1
					}
				}
				if prose == 1 {
					score -= pyPROSE_DAMPING
					if score < 1 {
						score = 1
					}
				}
			}
			location := item.Location
			if l := string(location); l == "rawPath" || l == "path" {
				location = pathSegment(location, m.Text, m.Start)
			}
			if len(g.exclusions) > 0 {
				switch g.excluded(rule, location) {
				case "off":
					continue
				case "monitor":
					action = "detected"
				}
			}
			found = append(found, Finding{rule.ID, rule.Category, direction, rule.Severity, location, action,
				item.RecordIndex, m, score})
		}
		if len(found) > first && g.sensitivity <= pyMENTION_LEVEL {
			countMentionOnce(found, first)
		}
	}
	limits := []struct {
		rule     *engine.Rule
		note     string
		location []rune
	}{
		{oversizeRules[direction], budget.Truncated, budget.TruncatedLocation},
		{uninspectedRules[direction], budget.Skipped, budget.SkippedLocation},
	}
	for _, l := range limits {
		if action, ok := g.actions[l.rule.ID]; ok && l.note != "" {
			found = append(found, Finding{l.rule.ID, l.rule.Category, direction, l.rule.Severity, l.location, action,
				adapters.NoRecord, engine.Match{Rule: l.rule, Text: []rune(l.note)}, contract.PyBLOCK_SCORE})
		}
	}
	if len(found) == 0 {
		return Verdict{Source: source}, nil
	}
	findings, blocked := scored(found)
	return Verdict{Blocked: blocked, Source: source, Findings: findings}, nil
}

// pathSegment is path_segment: rawPath[n] / path[n] for a finding at start of a request path.
func pathSegment(location, text []rune, start int) []rune {
	slashes := 0
	for _, c := range text[:start] {
		if c == '/' {
			slashes++
		}
	}
	if len(text) > 0 && text[0] == '/' {
		slashes--
	}
	if slashes < 0 {
		slashes = 0
	}
	return []rune(fmt.Sprintf("%s[%d]", string(location), slashes))
}

// countMentionOnce is _count_mention_once: in a sentence, the patterns of MENTION_RULES score at
// most MENTION_SCORE and the findings of a MENTION_CATEGORIES category in one value
// (found[first:]) count once, at the highest score among them; the others get score 0.
func countMentionOnce(found []Finding, first int) {
	best := map[string]int{}
	capped := false
	for i := first; i < len(found); i++ {
		f := found[i]
		if !pyMENTION_CATEGORIES[f.Category] {
			continue
		}
		j, ok := best[f.Category]
		capped = capped || ok || (pyMENTION_RULES[f.RuleID] && f.Score > pyMENTION_SCORE)
		if !ok || mentionLess(found[j], f) {
			best[f.Category] = i
		}
	}
	if !capped || !IsSentence(found[first].Match.Text) {
		return
	}
	for i := first; i < len(found); i++ {
		j, ok := best[found[i].Category]
		switch {
		case !ok:
		case i != j:
			found[i].Score = 0
		default:
			found[i].Score, _ = mentionKey(found[i])
		}
	}
}

// mentionKey is _mention_key: a finding's score in a sentence, and whether it keeps its score.
func mentionKey(f Finding) (int, bool) {
	if pyMENTION_RULES[f.RuleID] {
		return min(f.Score, pyMENTION_SCORE), false
	}
	return f.Score, true
}

// mentionLess is _mention_key(a) < _mention_key(b) (tuples: False < True).
func mentionLess(a, b Finding) bool {
	sa, ka := mentionKey(a)
	sb, kb := mentionKey(b)
	return sa < sb || sa == sb && !ka && kb
}

// commandSyntax is _command_syntax: a command, a path or a variable after a separator, pipe,
// new line or substitution.
func commandSyntax(text []rune) bool {
	found := false
	separatedWord.Rx().FindIter(text, func(m *pyre.Match) bool {
		w := m.Group(1)
		found = shell.IsCommand(w) || strings.ContainsRune("/.$~\\", w[0])
		return !found
	})
	return found
}

// IsSentence is is_sentence: no shell syntax, a word first, at least SENTENCE_MIN_WORDS
// blank-separated words of letters.
func IsSentence(text []rune) bool {
	if sentenceWord.Rx().MatchAt(pystr.LStrip(text), 0) == nil || commandSyntax(text) {
		return false
	}
	words := 0
	sentenceWord.Rx().FindIter(text, func(*pyre.Match) bool {
		words++
		return words < pySENTENCE_MIN_WORDS
	})
	return words >= pySENTENCE_MIN_WORDS
}

var (
	sentenceWord  = pyre.NewLazy(py_SENTENCE_WORD, 0)
	separatedWord = pyre.NewLazy(py_SEPARATED_WORD, 0)
	codeSpan      = pyre.NewLazy(py_CODE_SPAN, 0)
	word          = pyre.NewLazy(py_WORD, 0)
	symbol        = pyre.NewLazy(py_SYMBOL, 0)
)

// LooksLikeProse is looks_like_prose.
func LooksLikeProse(text []rune) bool {
	if pystr.Contains(text, []rune("`")) {
		text = codeSpan.Rx().Sub(text, func(*pyre.Match) []rune { return []rune(" ") }, 0)
	}
	words, letters := 0, 0
	word.Rx().FindIter(text, func(m *pyre.Match) bool {
		words++
		letters += m.End(0) - m.Start(0)
		return true
	})
	if words < 6 {
		return false
	}
	symbols := 0
	symbol.Rx().FindIter(text, func(*pyre.Match) bool { symbols++; return true })
	spaces := 0
	for _, c := range text {
		if c == ' ' {
			spaces++
		}
	}
	return symbols*4 <= words && float64(letters) >= 0.6*float64(len(text)-spaces)
}

func totalScore(findings []Finding) int {
	best := map[string]int{}
	var order []string
	for _, f := range findings {
		if _, ok := best[f.RuleID]; !ok {
			order = append(order, f.RuleID)
		}
		if f.Score > best[f.RuleID] {
			best[f.RuleID] = f.Score
		}
	}
	total := 0
	for _, id := range order {
		total += best[id]
	}
	return total
}

// scored is _scored: the findings of the requests (batch records) whose total reaches the block
// score; blocked when the blocking findings reach it on their own.
func scored(found []Finding) ([]Finding, bool) {
	groups := map[int][]Finding{}
	var order []int
	for _, f := range found {
		if _, ok := groups[f.RecordIndex]; !ok {
			order = append(order, f.RecordIndex)
		}
		groups[f.RecordIndex] = append(groups[f.RecordIndex], f)
	}
	var kept []Finding
	blocked := false
	for _, index := range order {
		group := groups[index]
		if totalScore(group) < contract.PyBLOCK_SCORE {
			continue
		}
		var blocking []Finding
		for _, f := range group {
			if f.Action == "blocked" {
				blocking = append(blocking, f)
			}
		}
		if len(blocking) > 0 && totalScore(blocking) >= contract.PyBLOCK_SCORE {
			blocked = true
			kept = append(kept, group...)
		} else {
			for _, f := range group {
				if f.Action == "blocked" {
					f.Action = "detected"
				}
				kept = append(kept, f)
			}
		}
	}
	return kept, blocked
}

// excluded is Guard._excluded: "off" / "monitor" when an exclusion covers a finding of rule at
// location, else "".
func (g *Guard) excluded(rule *engine.Rule, location []rune) string {
	result := ""
	for i := range g.exclusions {
		e := &g.exclusions[i]
		if e.Covers(rule.ID, rule.Category, location) {
			if e.Action == "off" {
				return "off"
			}
			result = "monitor"
		}
	}
	return result
}
