// Package records ports lambda_layer/protect_lambda/violation.py: the Violation / Detection /
// InspectionLimit record of an inspection's findings and the GuardError record of a failure of
// the guard, redacted (no matched secret, no raw payload) and written as one line of ASCII JSON.
//
// Not ported: LineTracker, track_stdout and emit (Python's stdout plumbing), and the traceback
// walk of _where (the caller gives the frame: see Where).
//
// Example:
//
//	v, _ := g.InspectEvent(event)
//	rec, _ := records.ViolationRecord(v.Findings, records.Params{Source: []rune(v.Source),
//		Mode: []rune("block"), FunctionName: []rune("fn"), RequestID: []rune("req-1"),
//		RecordIndex: adapters.NoRecord}, 1700000000.25)
//	line := records.FormatRecord(rec) // {"event":"Violation","level":"WARN",...}
package records

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/protect-lambda/protect-lambda/proxy/internal/adapters"
	"github.com/protect-lambda/protect-lambda/proxy/internal/contract"
	"github.com/protect-lambda/protect-lambda/proxy/internal/guard"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// patterns are the redaction regexes of violation._Patterns, compiled on first use.
type patterns struct {
	token, plainWord, digitRun, plainSegment, upperRun, keyPrefix, secretToken, unsafe *pyre.Regexp
}

var (
	compileOnce sync.Once
	compiled    *patterns
)

// Python: _p
func pat() *patterns {
	compileOnce.Do(func() {
		compiled = &patterns{
			token:        pyre.MustCompile(`[A-Za-z0-9+/=_-]+`, 0),
			plainWord:    pyre.MustCompile(`[A-Za-z_-]{1,16}`, 0),
			digitRun:     pyre.MustCompile(`[0-9]{4,}`, 0),
			plainSegment: pyre.MustCompile(`[$@]?[A-Za-z_][A-Za-z0-9_-]*`, 0),
			upperRun:     pyre.MustCompile(`[A-Z0-9]{16,}`, 0),
			keyPrefix:    pyre.MustCompile(`(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA|A3T[A-Z0-9])[A-Z0-9]{4,}|eyJ[A-Za-z0-9_-]{4,}`, 0),
			secretToken:  pyre.MustCompile(`[A-Za-z0-9+/=_-]{20,}`, 0),
			// Python writes this class with the characters themselves (NUL, lone surrogates), which
			// a Go source cannot hold: the same class with escapes (the vectors check both sets are
			// equal over every code point).
			unsafe: pyre.MustCompile(`[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]`, 0),
		}
	})
	return compiled
}

// Patterns are the Python patterns ported (for the differential test), by _Patterns attribute.
func Patterns() map[string]string {
	p := pat()
	return map[string]string{
		"token": p.token.String(), "plain_word": p.plainWord.String(), "digit_run": p.digitRun.String(),
		"plain_segment": p.plainSegment.String(), "upper_run": p.upperRun.String(),
		"key_prefix": p.keyPrefix.String(), "secret_token": p.secretToken.String(), "unsafe": p.unsafe.String(),
	}
}

// slice is Python's text[lo:hi] for lo, hi >= 0 (clamped; empty when hi <= lo).
func slice(text []rune, lo, hi int) []rune {
	if lo < 0 {
		lo = 0
	}
	if hi > len(text) {
		hi = len(text)
	}
	if lo >= hi {
		return []rune{}
	}
	return text[lo:hi]
}

func concat(parts ...[]rune) []rune {
	var out []rune
	for _, p := range parts {
		out = append(out, p...)
	}
	if out == nil {
		out = []rune{}
	}
	return out
}

// Python: _safe
func safe(text []rune, limit int) []rune {
	if len(text) > limit {
		text = concat(slice(text, 0, limit-3), []rune("..."))
	}
	return pat().unsafe.Sub(text, func(*pyre.Match) []rune { return []rune("?") }, 0)
}

func tokenChar(c rune) bool { return py_TOKEN_CHARS[string(c)] }

// Python: _mask_outbound_context
func maskOutboundContext(text []rune, lo, hi int) []rune {
	if lo >= hi {
		return []rune{}
	}
	left := lo
	for left > 0 && lo-left < py_TOKEN_SCAN_LIMIT && tokenChar(text[left-1]) {
		left--
	}
	right := hi
	for right < len(text) && right-hi < py_TOKEN_SCAN_LIMIT && tokenChar(text[right]) {
		right++
	}
	out := append([]rune{}, slice(text, lo, hi)...)
	for i, c := range out {
		if !(c >= ' ' && c <= '~') {
			out[i] = '*'
		}
	}
	window := slice(text, left, right)
	pat().token.FindIter(window, func(m *pyre.Match) bool {
		if pat().plainWord.FullMatch(m.Group(0), 0, len(m.Group(0))) != nil {
			return true
		}
		for pos := max(m.Start(0)+left, lo); pos < min(m.End(0)+left, hi); pos++ {
			out[pos-lo] = '*'
		}
		return true
	})
	return out
}

// Python: _mask_inbound
func maskInbound(text []rune) []rune {
	text = pat().secretToken.Sub(text, func(m *pyre.Match) []rune {
		g := m.Group(0)
		digit, alpha := false, false
		for _, c := range g {
			digit = digit || pystr.IsDigit(c)
			alpha = alpha || pystr.IsAlpha(c)
		}
		if digit && alpha {
			return []rune(strings.Repeat("*", len(g)))
		}
		return g
	}, 0)
	return pat().digitRun.Sub(text, func(m *pyre.Match) []rune {
		return []rune(strings.Repeat("#", len(m.Group(0))))
	}, 0)
}

// RedactExcerpt is the redacted excerpt of a finding (a guard finding always has a match: Python's
// match None, giving "", does not occur).
//
// Python: redact_excerpt
func RedactExcerpt(f guard.Finding) []rune {
	text := f.Match.Text
	start, end := max(0, f.Match.Start), min(len(text), f.Match.End)
	if f.Direction == contract.PyDIRECTION_OUTBOUND {
		before := maskOutboundContext(text, max(0, start-pyOUTBOUND_CONTEXT), start)
		after := maskOutboundContext(text, end, min(len(text), end+pyOUTBOUND_CONTEXT))
		mask := "[REDACTED " + string(safe([]rune(f.RuleID), 48)) + " " + strconv.Itoa(end-start) + " chars]"
		return concat(safe(before, pyOUTBOUND_CONTEXT), []rune(mask), safe(after, pyOUTBOUND_CONTEXT))
	}
	lo := max(0, start-pyINBOUND_CONTEXT)
	cutEnd := min(end, start+pyINBOUND_MATCH)
	hi := min(len(text), end+pyINBOUND_CONTEXT)
	if cutEnd < end {
		hi = cutEnd
	}
	wideLo, wideHi := max(0, lo-py_TOKEN_SCAN_LIMIT), min(len(text), hi+py_TOKEN_SCAN_LIMIT)
	masked := slice(maskInbound(slice(text, wideLo, wideHi)), lo-wideLo, hi-wideLo)
	var view []rune
	if lo > 0 {
		view = append(view, []rune("...")...)
	}
	view = append(view, masked...)
	if hi < len(text) {
		view = append(view, []rune("...")...)
	}
	return safe(concat(view), pyMAX_EXCERPT)
}

// Python: _plain_segment
func plainSegment(name []rune) bool {
	if len(name) > pyMAX_LOCATION_SEGMENT || pat().plainSegment.FullMatch(name, 0, len(name)) == nil {
		return false
	}
	digits, letters, upper := 0, 0, 0
	for _, c := range name {
		if pystr.IsDigit(c) {
			digits++
		}
		if pystr.IsAlpha(c) {
			letters++
		}
		if pystr.IsUpper(c) {
			upper++
		}
	}
	if digits >= 5 || pat().upperRun.Search(name, 0) != nil || pat().keyPrefix.Search(name, 0) != nil {
		return false
	}
	if len(name) >= 16 && digits > 0 && letters > 0 {
		return false
	}
	if len(name) >= 20 {
		if 10*upper >= 3*letters && 10*(letters-upper) >= 3*letters {
			return false
		}
	}
	return true
}

// Python: _split_indices
func splitIndices(piece []rune) ([]rune, []rune) {
	end := len(piece)
	for end > 0 && piece[end-1] == ']' {
		from := max(0, end-2-py_MAX_INDEX_DIGITS)
		start := -1
		for i := end - 2; i >= from; i-- { // piece.rfind("[", from, end - 1)
			if piece[i] == '[' {
				start = i
				break
			}
		}
		if start < 0 {
			break
		}
		inner := piece[start+1 : end-1]
		if len(inner) == 0 || !pystr.IsASCII(inner) || !pystr.AllDigit(inner) {
			break
		}
		end = start
	}
	return piece[:end], piece[end:]
}

// RedactLocation is location with every key name that may carry a secret or payload text replaced
// by [redacted] (consecutive ones merged).
//
// Python: redact_location
func RedactLocation(location []rune) []rune {
	text := location
	var suffix []rune
	for _, candidate := range pyLOCATION_SUFFIXES {
		c := []rune(candidate)
		if pystr.HasSuffix(text, c) {
			text, suffix = text[:len(text)-len(c)], c
			break
		}
	}
	placeholder := []rune(pyLOCATION_PLACEHOLDER)
	var parts [][]rune
	size := len(suffix)
	lastIsPlaceholder := func() bool { return len(parts) > 0 && pystr.Equal(parts[len(parts)-1], placeholder) }
	for position, piece := range splitDots(text) {
		segment, indices := splitIndices(piece)
		if len(piece) == 0 && lastIsPlaceholder() {
			continue
		}
		var part []rune
		if plainSegment(segment) || (len(segment) == 0 && (position == 0 || len(indices) == 0)) {
			part = concat(segment, indices)
		} else if lastIsPlaceholder() {
			continue
		} else {
			part = placeholder
		}
		parts = append(parts, part)
		size += len(part) + 1
		if size > pyMAX_LOCATION {
			break
		}
	}
	var out []rune
	for i, p := range parts {
		if i > 0 {
			out = append(out, '.')
		}
		out = append(out, p...)
	}
	return concat(out, suffix)
}

// splitDots is text.split(".").
func splitDots(text []rune) [][]rune {
	var out [][]rune
	last := 0
	for i, c := range text {
		if c == '.' {
			out = append(out, text[last:i])
			last = i + 1
		}
	}
	return append(out, text[last:])
}

// Python: _name (nil is None)
func name(value []rune) []rune {
	if value == nil {
		return []rune{}
	}
	return safe(value, pyMAX_NAME)
}

func nameStr(value string) string { return string(name([]rune(value))) }

// ErrTimestamp is what Python's rfc3339 raises on (a NaN, an infinity, a time gmtime refuses).
var ErrTimestamp = errors.New("timestamp out of range")

// RFC3339 is now (seconds since the epoch) as an RFC 3339 UTC timestamp with milliseconds, as
// Python's time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(now))) + ".%03dZ" on glibc.
//
// Python: rfc3339
func RFC3339(now float64) (string, error) {
	if math.IsNaN(now) || math.IsInf(now, 0) || now >= 9223372036854775808.0 || now < -9223372036854775808.0 {
		return "", ErrTimestamp
	}
	whole := math.Trunc(now)
	sec := int64(whole)
	// glibc's gmtime fails when the year (less 1900) does not fit a C int (about 6.8e16 s).
	if sec > 100_000_000_000_000_000 || sec < -100_000_000_000_000_000 {
		return "", ErrTimestamp
	}
	t := time.Unix(sec, 0).UTC()
	if int64(t.Year())-1900 > math.MaxInt32 || int64(t.Year())-1900 < math.MinInt32 {
		return "", ErrTimestamp
	}
	millis := int64((now - whole) * 1000)
	return fmt.Sprintf("%d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.Year(), int(t.Month()), t.Day(),
		t.Hour(), t.Minute(), t.Second(), millis), nil
}

// Python: _SEVERITY_RANK
func severityRank(severity string) int {
	for i, s := range contract.PySEVERITIES {
		if s == severity {
			return i
		}
	}
	return -1
}

// Python: _is_limit_note
func isLimitNote(f guard.Finding) bool {
	category := nameStr(f.Category)
	limit := false
	for _, c := range contract.PyLIMIT_CATEGORIES {
		limit = limit || c == category
	}
	return limit && nameStr(f.Action) != contract.PyACTION_BLOCKED
}

// Python: _leading
func leading(findings []guard.Finding) int {
	key := func(f guard.Finding) [3]int {
		k := [3]int{0, 0, severityRank(f.Severity)}
		if f.Action == contract.PyACTION_BLOCKED {
			k[0] = 1
		}
		if !isLimitNote(f) {
			k[1] = 1
		}
		return k
	}
	best, bestKey := 0, key(findings[0])
	for i := 1; i < len(findings); i++ {
		k := key(findings[i])
		if k[0] > bestKey[0] || k[0] == bestKey[0] && (k[1] > bestKey[1] || k[1] == bestKey[1] && k[2] > bestKey[2]) {
			best, bestKey = i, k
		}
	}
	return best
}

// Python: _total
func total(findings []guard.Finding) int {
	best := map[string]int{}
	for _, f := range findings {
		rule := nameStr(f.RuleID)
		best[rule] = max(best[rule], f.Score) // a missing rule counts from 0, as dict.get(rule, 0)
	}
	sum := 0
	for _, v := range best {
		sum += v
	}
	return sum
}

// Field is one key of a record; Value is a string, a []rune, an int or a []Record.
type Field struct {
	Key   string
	Value any
}

// Record is a JSON object with keys in insertion order (a Python dict).
type Record []Field

// Set is record[key] = value: a key already there keeps its place.
func (r *Record) Set(key string, value any) {
	for i := range *r {
		if (*r)[i].Key == key {
			(*r)[i].Value = value
			return
		}
	}
	*r = append(*r, Field{key, value})
}

// Get is record[key] (nil when absent).
func (r Record) Get(key string) any {
	for _, f := range r {
		if f.Key == key {
			return f.Value
		}
	}
	return nil
}

// FindingEntry is one entry of a record's findings.
//
// Python: finding_entry
func FindingEntry(f guard.Finding) Record {
	var r Record
	r.Set(contract.PyFIELD_RULE_ID, nameStr(f.RuleID))
	r.Set(contract.PyFIELD_CATEGORY, nameStr(f.Category))
	r.Set(contract.PyFIELD_SEVERITY, nameStr(f.Severity))
	r.Set(contract.PyFIELD_ACTION, nameStr(f.Action))
	r.Set(contract.PyFIELD_SCORE, f.Score)
	r.Set(contract.PyFIELD_LOCATION, safe(RedactLocation(f.Location), pyMAX_LOCATION))
	r.Set(contract.PyFIELD_EXCERPT, RedactExcerpt(f))
	return r
}

// Params are violation_record's keyword arguments (a nil slice is Python's None).
type Params struct {
	Source, Mode, FunctionName, RequestID, Seal []rune
	RecordIndex                                 int    // adapters.NoRecord: None
	ItemID                                      []rune // nil: None
}

func runesKey(r []rune) string {
	var b strings.Builder
	for _, c := range r {
		b.WriteString(strconv.Itoa(int(c)))
		b.WriteByte(',')
	}
	return b.String()
}

// ViolationRecord is the record of one inspection (or one batch record): all of findings.
//
// Python: violation_record
func ViolationRecord(findings []guard.Finding, p Params, now float64) (Record, error) {
	if len(findings) == 0 {
		return nil, errors.New("a Violation record needs at least one finding")
	}
	type key struct{ rule, location string }
	var distinct []guard.Finding
	seen := map[key]bool{}
	for _, f := range findings {
		k := key{f.RuleID, runesKey(f.Location)}
		if !seen[k] {
			seen[k] = true
			distinct = append(distinct, f)
		}
	}
	leadIndex := leading(distinct)
	lead := distinct[leadIndex]
	var entries []Record
	for i, f := range distinct {
		if i >= pyMAX_FINDINGS {
			break
		}
		entries = append(entries, FindingEntry(f))
	}
	var leadEntry Record
	if leadIndex < pyMAX_FINDINGS {
		leadEntry = entries[leadIndex]
	} else {
		leadEntry = FindingEntry(lead)
	}
	blocked, allLimit := false, true
	for _, f := range distinct {
		blocked = blocked || nameStr(f.Action) == contract.PyACTION_BLOCKED
		allLimit = allLimit && isLimitNote(f)
	}
	event := contract.PyVIOLATION_MARKER
	if allLimit {
		event = contract.PyINSPECTION_LIMIT_MARKER
	} else if !blocked && string(name(p.Mode)) == contract.PyMODE_BLOCK {
		event = contract.PyDETECTION_MARKER
	}
	timestamp, err := RFC3339(now)
	if err != nil {
		return nil, err
	}
	action := contract.PyACTION_DETECTED
	if blocked {
		action = contract.PyACTION_BLOCKED
	}
	var r Record
	r.Set(contract.PyFIELD_EVENT, event)
	r.Set(contract.PyFIELD_LEVEL, contract.PyRECORD_LEVEL)
	r.Set(contract.PyFIELD_TIMESTAMP, timestamp)
	r.Set(contract.PyFIELD_SEAL, name(p.Seal))
	r.Set(contract.PyFIELD_FUNCTION_NAME, name(p.FunctionName))
	r.Set(contract.PyFIELD_REQUEST_ID, name(p.RequestID))
	r.Set(contract.PyFIELD_ACTION, action)
	r.Set(contract.PyFIELD_DIRECTION, nameStr(lead.Direction))
	r.Set(contract.PyFIELD_SOURCE, name(p.Source))
	r.Set(contract.PyFIELD_MODE, name(p.Mode))
	for _, field := range []string{contract.PyFIELD_RULE_ID, contract.PyFIELD_CATEGORY, contract.PyFIELD_SEVERITY,
		contract.PyFIELD_LOCATION, contract.PyFIELD_EXCERPT} {
		r.Set(field, leadEntry.Get(field))
	}
	r.Set(contract.PyFIELD_FINDING_COUNT, len(distinct))
	r.Set(contract.PyFIELD_TOTAL_SCORE, total(distinct))
	if entries == nil {
		entries = []Record{}
	}
	r.Set(contract.PyFIELD_FINDINGS, entries)
	if p.RecordIndex != adapters.NoRecord {
		r.Set(contract.PyFIELD_RECORD_INDEX, p.RecordIndex)
		r.Set(contract.PyFIELD_ITEM_ID, name(p.ItemID))
	}
	r.Set(contract.PyFIELD_GUARD_VERSION, contract.PyGUARD_VERSION)
	return r, nil
}

// Where is _where's text for the frame it chose: "file.py:line in function" (file: a base name).
//
// Python: _where (the formatting; the frame is the caller's to choose)
func Where(file []rune, line int, function []rune) []rune {
	return safe(concat(file, []rune(":"+strconv.Itoa(line)+" in "), function), pyMAX_NAME)
}

// ErrorParams are guard_error_record's arguments. ErrorType is type(error).__name__, Where the
// error's frame (see Where; nil: no frame, ""), Detail the message of a configuration error
// (nil for any other error: the message may quote the event).
type ErrorParams struct {
	ErrorType, Where, Detail                                          []rune
	Phase, Outcome, Source, Mode, FailPolicy, FunctionName, RequestID []rune
}

// GuardErrorRecord is the GuardError record of a failure of the guard itself.
//
// Python: guard_error_record
func GuardErrorRecord(p ErrorParams, now float64) (Record, error) {
	timestamp, err := RFC3339(now)
	if err != nil {
		return nil, err
	}
	where := p.Where
	if where == nil {
		where = []rune{}
	}
	var r Record
	r.Set(contract.PyFIELD_EVENT, contract.PyGUARD_ERROR_MARKER)
	r.Set(contract.PyFIELD_LEVEL, contract.PyGUARD_ERROR_LEVEL)
	r.Set(contract.PyFIELD_TIMESTAMP, timestamp)
	r.Set(pyFIELD_ERROR_TYPE, name(p.ErrorType))
	r.Set(pyFIELD_PHASE, name(p.Phase))
	r.Set(pyFIELD_OUTCOME, name(p.Outcome))
	r.Set(pyFIELD_WHERE, where)
	r.Set(contract.PyFIELD_SOURCE, name(p.Source))
	r.Set(contract.PyFIELD_FUNCTION_NAME, name(p.FunctionName))
	r.Set(contract.PyFIELD_REQUEST_ID, name(p.RequestID))
	r.Set(contract.PyFIELD_MODE, name(p.Mode))
	r.Set(pyFIELD_FAIL_POLICY, name(p.FailPolicy))
	r.Set(contract.PyFIELD_GUARD_VERSION, contract.PyGUARD_VERSION)
	if p.Detail != nil {
		r.Set(pyFIELD_DETAIL, safe(p.Detail, 400))
	}
	return r, nil
}

// FormatRecord is the record as one line of ASCII JSON (json.dumps with ensure_ascii and the
// separators "," and ":"; no newline).
//
// Python: format_record
func FormatRecord(r Record) string {
	var b strings.Builder
	writeRecord(&b, r)
	return b.String()
}

func writeRecord(b *strings.Builder, r Record) {
	b.WriteByte('{')
	for i, f := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(pyjson.QuoteASCII([]rune(f.Key)))
		b.WriteByte(':')
		switch v := f.Value.(type) {
		case string:
			b.WriteString(pyjson.QuoteASCII([]rune(v)))
		case []rune:
			b.WriteString(pyjson.QuoteASCII(v))
		case int:
			b.WriteString(strconv.Itoa(v))
		case []Record:
			b.WriteByte('[')
			for j, e := range v {
				if j > 0 {
					b.WriteByte(',')
				}
				writeRecord(b, e)
			}
			b.WriteByte(']')
		default:
			panic(fmt.Sprintf("records: a value of type %T", v))
		}
	}
	b.WriteByte('}')
}
