package records

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"

	"github.com/protect-lambda/protect-lambda/proxy/internal/adapters"
	"github.com/protect-lambda/protect-lambda/proxy/internal/contract"
	"github.com/protect-lambda/protect-lambda/proxy/internal/engine"
	"github.com/protect-lambda/protect-lambda/proxy/internal/guard"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
	"github.com/protect-lambda/protect-lambda/proxy/internal/vectortest"
)

type vFinding struct {
	RuleID      string `json:"rule_id"`
	Category    string `json:"category"`
	Direction   string `json:"direction"`
	Severity    string `json:"severity"`
	Location    []rune `json:"location"`
	Action      string `json:"action"`
	RecordIndex int    `json:"record_index"`
	Text        []rune `json:"text"`
	Start       int    `json:"start"`
	End         int    `json:"end"`
	Score       int    `json:"score"`
}

func (f vFinding) finding() guard.Finding {
	return guard.Finding{RuleID: f.RuleID, Category: f.Category, Direction: f.Direction, Severity: f.Severity,
		Location: f.Location, Action: f.Action, RecordIndex: f.RecordIndex,
		Match: engine.Match{Text: f.Text, Start: f.Start, End: f.End}, Score: f.Score}
}

func same(a guard.Finding, b vFinding) bool {
	return a.RuleID == b.RuleID && a.Category == b.Category && a.Direction == b.Direction &&
		a.Severity == b.Severity && string(a.Location) == string(b.Location) && a.Action == b.Action &&
		a.RecordIndex == b.RecordIndex && string(a.Match.Text) == string(b.Text) && a.Match.Start == b.Start &&
		a.Match.End == b.End && a.Score == b.Score
}

type vParams struct {
	FunctionName []rune  `json:"function_name"`
	RequestID    []rune  `json:"request_id"`
	Seal         []rune  `json:"seal"`
	Now          float64 `json:"now"`
}

type vConfig struct {
	Mode              string            `json:"mode"`
	Sensitivity       int               `json:"sensitivity"`
	RuleOverrides     map[string]string `json:"rule_overrides"`
	CategoryOverrides map[string]string `json:"category_overrides"`
	Limits            []int             `json:"limits"`
}

type vEvent struct {
	Config   int               `json:"config"`
	Kind     string            `json:"kind"`
	Event    string            `json:"event"`
	Response *string           `json:"response"`
	Source   string            `json:"source"`
	Mode     string            `json:"mode"`
	Params   vParams           `json:"params"`
	Findings []vFinding        `json:"findings"`
	Whole    []string          `json:"whole"`
	Allowed  []string          `json:"allowed"`
	Batch    []string          `json:"batch"`
	NRecords int               `json:"n_records"`
	ItemIDs  map[string][]rune `json:"item_ids"`
}

type vectors struct {
	Configs   []vConfig         `json:"configs"`
	Patterns  map[string]string `json:"patterns"`
	Events    []vEvent          `json:"events"`
	Synthetic []struct {
		Findings    []vFinding `json:"findings"`
		Params      vParams    `json:"params"`
		Mode        []rune     `json:"mode"`
		Source      []rune     `json:"source"`
		RecordIndex int        `json:"record_index"`
		ItemID      []rune     `json:"item_id"`
		Line        string     `json:"line"`
		Entries     []string   `json:"entries"`
	} `json:"synthetic"`
	Errors []struct {
		ErrorType  []rune  `json:"error_type"`
		File       []rune  `json:"file"`
		Line       int     `json:"line"`
		Function   []rune  `json:"function"`
		Detail     []rune  `json:"detail"`
		Now        float64 `json:"now"`
		Phase      []rune  `json:"phase"`
		Outcome    []rune  `json:"outcome"`
		Source     []rune  `json:"source"`
		Mode       []rune  `json:"mode"`
		FailPolicy []rune  `json:"fail_policy"`
		FuncName   []rune  `json:"function_name"`
		RequestID  []rune  `json:"request_id"`
		LineOut    string  `json:"line_out"`
	} `json:"errors"`
	Times     [][]*string `json:"times"`
	Locations [][][]rune  `json:"locations"`
}

// line is format_record(violation_record(...)), or the error.
func line(findings []guard.Finding, source, mode string, p vParams, index int, item []rune) string {
	rec, err := ViolationRecord(findings, Params{Source: []rune(source), Mode: []rune(mode),
		FunctionName: p.FunctionName, RequestID: p.RequestID, Seal: p.Seal, RecordIndex: index, ItemID: item}, p.Now)
	if err != nil {
		return "error: " + err.Error()
	}
	return FormatRecord(rec)
}

// recipes are the Reporter's records of a verdict (inspection.Reporter.report, not ported: rebuilt
// here): the whole inspection, the "allowed" form and, for a batch event, one per batch record.
func recipes(findings []guard.Finding, e vEvent) (whole, allowed, batch []string) {
	whole = []string{line(findings, e.Source, e.Mode, e.Params, adapters.NoRecord, nil)}
	detected := make([]guard.Finding, len(findings))
	for i, f := range findings {
		f.Action = contract.PyACTION_DETECTED
		detected[i] = f
	}
	allowed = []string{line(detected, e.Source, contract.PyMODE_MONITOR, e.Params, adapters.NoRecord, nil)}
	if e.NRecords < 0 {
		return whole, allowed, []string{}
	}
	groups := map[int][]guard.Finding{}
	for _, f := range findings {
		index := f.RecordIndex
		if index < 0 || index >= e.NRecords {
			index = adapters.NoRecord
		}
		groups[index] = append(groups[index], f)
	}
	var keys []int
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	batch = []string{}
	for _, k := range keys {
		var item []rune
		if k != adapters.NoRecord {
			item = e.ItemIDs[strconv.Itoa(k)]
		}
		batch = append(batch, line(groups[k], e.Source, e.Mode, e.Params, k, item))
	}
	return whole, allowed, batch
}

type diffs struct {
	t     *testing.T
	n     int
	shown int
}

func (d *diffs) check(what string, got, want string) bool {
	if got == want {
		return true
	}
	d.n++
	if d.shown < 8 {
		d.shown++
		d.t.Errorf("%s:\n  go: %s\n  py: %s", what, got, want)
	}
	return false
}

func compareLines(d *diffs, what string, got, want []string) int {
	bad := 0
	if len(got) != len(want) {
		d.check(what+" line count", fmt.Sprint(len(got)), fmt.Sprint(len(want)))
		return 1
	}
	for i := range got {
		if !d.check(fmt.Sprintf("%s line %d", what, i), got[i], want[i]) {
			bad++
		}
	}
	return bad
}

func TestSameAsPythonRecords(t *testing.T) {
	var v vectors
	vectortest.Load(t, "RECORDS_VECTORS", "write it with proxy/gen/vectors_records.py OUT.json", &v)
	d := &diffs{t: t}

	// The patterns.
	goPatterns := Patterns()
	for name, pattern := range v.Patterns {
		d.check("pattern "+name, goPatterns[name], pattern)
	}
	if len(goPatterns) != len(v.Patterns) {
		d.check("pattern count", fmt.Sprint(len(goPatterns)), fmt.Sprint(len(v.Patterns)))
	}

	// rfc3339.
	timeDiffs := 0
	for _, c := range v.Times {
		now, err := strconv.ParseFloat(*c[0], 64)
		if err != nil {
			t.Fatal(err)
		}
		got, err := RFC3339(now)
		want := "error"
		if c[1] != nil {
			want = *c[1]
		}
		if err != nil {
			got = "error"
		}
		if !d.check("rfc3339("+*c[0]+")", got, want) {
			timeDiffs++
		}
	}
	t.Logf("rfc3339: %d times, %d differ", len(v.Times), timeDiffs)

	// redact_location.
	locDiffs := 0
	for _, c := range v.Locations {
		if !d.check("redact_location("+pyjson.QuoteASCII(c[0])+")", pyjson.QuoteASCII(RedactLocation(c[0])),
			pyjson.QuoteASCII(c[1])) {
			locDiffs++
		}
	}
	t.Logf("redact_location: %d locations, %d differ", len(v.Locations), locDiffs)

	// Synthetic findings: finding_entry and violation_record.
	synDiffs, entries, entryDiffs := 0, 0, 0
	for i, c := range v.Synthetic {
		findings := make([]guard.Finding, len(c.Findings))
		for j, f := range c.Findings {
			findings[j] = f.finding()
			entries++
			if !d.check(fmt.Sprintf("synthetic %d finding_entry %d", i, j), FormatRecord(FindingEntry(findings[j])),
				c.Entries[j]) {
				entryDiffs++
			}
		}
		rec, err := ViolationRecord(findings, Params{Source: c.Source, Mode: c.Mode, FunctionName: c.Params.FunctionName,
			RequestID: c.Params.RequestID, Seal: c.Params.Seal, RecordIndex: c.RecordIndex, ItemID: c.ItemID}, c.Params.Now)
		got := "error"
		if err == nil {
			got = FormatRecord(rec)
		}
		if !d.check(fmt.Sprintf("synthetic %d", i), got, c.Line) {
			synDiffs++
		}
	}
	t.Logf("synthetic: %d records, %d differ; %d finding entries, %d differ", len(v.Synthetic), synDiffs, entries, entryDiffs)

	// GuardError records.
	errDiffs := 0
	for i, c := range v.Errors {
		rec, err := GuardErrorRecord(ErrorParams{ErrorType: c.ErrorType, Where: Where(c.File, c.Line, c.Function),
			Detail: c.Detail, Phase: c.Phase, Outcome: c.Outcome, Source: c.Source, Mode: c.Mode,
			FailPolicy: c.FailPolicy, FunctionName: c.FuncName, RequestID: c.RequestID}, c.Now)
		got := "error"
		if err == nil {
			got = FormatRecord(rec)
		}
		if !d.check(fmt.Sprintf("guard_error_record %d", i), got, c.LineOut) {
			errDiffs++
		}
	}
	t.Logf("guard_error_record: %d records, %d differ", len(v.Errors), errDiffs)

	// Inspections: the records from Python's findings, then from the Go guard's.
	guards := make([]*guard.Guard, len(v.Configs))
	for i, c := range v.Configs {
		o := guard.Options{Mode: c.Mode, Sensitivity: c.Sensitivity, RuleOverrides: c.RuleOverrides,
			CategoryOverrides: c.CategoryOverrides}
		if c.Limits != nil {
			o.Limits = &adapters.Limits{MaxDepth: c.Limits[0], MaxFields: c.Limits[1], MaxValueChars: c.Limits[2]}
		}
		g, err := guard.New(o)
		if err != nil {
			t.Fatal(err)
		}
		guards[i] = g
	}
	lines, pyDiffs, goDiffs, findingDiffs := 0, 0, 0, 0
	byConfig, missing, extra := map[int]int{}, map[string]int{}, map[string]int{}
	for i, e := range v.Events {
		what := fmt.Sprintf("inspection %d (config %d, %s)", i, e.Config, e.Kind)
		findings := make([]guard.Finding, len(e.Findings))
		for j, f := range e.Findings {
			findings[j] = f.finding()
		}
		w, a, b := recipes(findings, e)
		lines += len(e.Whole) + len(e.Allowed) + len(e.Batch)
		pyDiffs += compareLines(d, what+" from Python findings, whole", w, e.Whole)
		pyDiffs += compareLines(d, what+" from Python findings, allowed", a, e.Allowed)
		pyDiffs += compareLines(d, what+" from Python findings, batch", b, e.Batch)

		event, err := pyjson.Parse([]byte(e.Event))
		if err != nil {
			t.Fatal(err)
		}
		var verdict guard.Verdict
		if e.Kind == "event" {
			verdict, err = guards[e.Config].InspectEvent(event)
		} else {
			response, perr := pyjson.Parse([]byte(*e.Response))
			if perr != nil {
				t.Fatal(perr)
			}
			verdict, err = guards[e.Config].InspectResponse(response, event, true)
		}
		if err != nil {
			d.check(what+" Go guard", err.Error(), "no error")
			goDiffs++
			continue
		}
		sameFindings := len(verdict.Findings) == len(e.Findings) && verdict.Source == e.Source
		for j := 0; sameFindings && j < len(e.Findings); j++ {
			sameFindings = same(verdict.Findings[j], e.Findings[j])
		}
		if !sameFindings {
			findingDiffs++
			byConfig[e.Config]++
			count := map[string]int{}
			for _, f := range e.Findings {
				count[f.RuleID]++
			}
			for _, f := range verdict.Findings {
				count[f.RuleID]--
			}
			if os.Getenv("RECORDS_DEBUG") != "" && byConfig[e.Config] <= 3 {
				for j := 0; j < len(e.Findings) && j < len(verdict.Findings); j++ {
					if !same(verdict.Findings[j], e.Findings[j]) {
						g, p := verdict.Findings[j], e.Findings[j]
						t.Logf("%s finding %d/%d/%d: go %s %s %q %q %d:%d %d; py %s %s %q %q %d:%d %d", what, j, len(verdict.Findings), len(e.Findings),
							g.RuleID, g.Action, string(g.Location), string(g.Match.Text), g.Match.Start, g.Match.End, g.RecordIndex,
							p.RuleID, p.Action, string(p.Location), string(p.Text), p.Start, p.End, p.RecordIndex)
						break
					}
				}
			}
			for rule, n := range count {
				if n > 0 {
					missing[rule]++
				} else if n < 0 {
					extra[rule]++
				}
			}
		}
		if len(verdict.Findings) == 0 {
			d.check(what+" Go guard found nothing", "0 findings", fmt.Sprintf("%d findings", len(e.Findings)))
			goDiffs += len(e.Whole) + len(e.Allowed) + len(e.Batch)
			continue
		}
		e.Source = verdict.Source
		w, a, b = recipes(verdict.Findings, e)
		goDiffs += compareLines(d, what+" from the Go guard, whole", w, e.Whole)
		goDiffs += compareLines(d, what+" from the Go guard, allowed", a, e.Allowed)
		goDiffs += compareLines(d, what+" from the Go guard, batch", b, e.Batch)
	}
	t.Logf("inspections: %d with findings, %d Python record lines; from Python's findings %d differ; "+
		"from the Go guard %d differ (%d inspections whose Go findings differ)", len(v.Events), lines, pyDiffs,
		goDiffs, findingDiffs)
	if findingDiffs > 0 {
		t.Logf("Go guard findings differ by config %v; rules Python found more often %v; rules Go found more often %v",
			byConfig, missing, extra)
	}
	if d.n > 0 {
		t.Errorf("%d differences", d.n)
	}
}
