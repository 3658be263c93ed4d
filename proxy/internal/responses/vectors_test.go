package responses

import (
	"fmt"
	"testing"

	"github.com/protect-lambda/protect-lambda/proxy/internal/adapters"
	"github.com/protect-lambda/protect-lambda/proxy/internal/contract"
	"github.com/protect-lambda/protect-lambda/proxy/internal/guard"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
	"github.com/protect-lambda/protect-lambda/proxy/internal/vectortest"
)

type outcome struct {
	Out   *string `json:"out"`
	Error *string `json:"error"`
}

type plan struct {
	Error        *string   `json:"error"`
	Respond      bool      `json:"respond"`
	Response     string    `json:"response"`
	HandlerEvent string    `json:"handler_event"`
	BlockedRules *[]string `json:"blocked_rules"`
	Records      string    `json:"records"`
	Held         []int     `json:"held"`
	Raise        *string   `json:"raise"`
	WithHeld     []outcome `json:"with_held"`
}

type perSource struct {
	RecordsOf           *string   `json:"records_of"`
	Sets                [][]int   `json:"sets"`
	ItemIdentifier      []string  `json:"item_identifier"`
	ItemLabel           []outcome `json:"item_label"`
	FirstOfAnOrderedRun []bool    `json:"first_of_an_ordered_run"`
	HeldBack            []outcome `json:"held_back"`
	WithoutRecords      []string  `json:"without_records"`
	BatchFailuresAll    string    `json:"batch_failures_all"`
	BatchFailures       []string  `json:"batch_failures"`
	Sanitised           []outcome `json:"sanitised"`
	Merge               []outcome `json:"merge"`
}

type vector struct {
	Event     string `json:"event"`
	RequestID []rune `json:"request_id"`
	Verdict   struct {
		Blocked  bool    `json:"blocked"`
		Source   string  `json:"source"`
		Findings [][]any `json:"findings"`
	} `json:"verdict"`
	BlockingRuleIDs []string             `json:"blocking_rule_ids"`
	FallbackSource  string               `json:"fallback_source"`
	Results         []string             `json:"results"`
	Plans           map[string]plan      `json:"plans"`
	Withhold        []outcome            `json:"withhold"`
	WithholdStyles  []outcome            `json:"withhold_styles"`
	Refuse          []outcome            `json:"refuse"`
	PerSource       map[string]perSource `json:"per_source"`
	HTTP            []string             `json:"http"`
	Denial          []string             `json:"denial"`
}

func parse(t *testing.T, text string) *pyjson.Value {
	t.Helper()
	v, err := pyjson.Parse([]byte(text))
	if err != nil {
		t.Fatalf("pyjson.Parse(%.80q): %v", text, err)
	}
	return v
}

func set(indexes []int) map[int]bool {
	s := map[int]bool{}
	for _, i := range indexes {
		s[i] = true
	}
	return s
}

func dumpsList(items []*pyjson.Value) string { return pyjson.Dumps(List(items)) }

// got renders a Go result as the Python side's outcome: json.dumps of the value, or the exception.
func got(v *pyjson.Value, err error) outcome {
	if err != nil {
		s := err.Error()
		if r, ok := err.(*Refusal); ok {
			s = r.Type + ": " + s
		}
		return outcome{Error: &s}
	}
	s := pyjson.Dumps(v)
	return outcome{Out: &s}
}

func same(a, b outcome) bool {
	return (a.Out == nil) == (b.Out == nil) && (a.Error == nil) == (b.Error == nil) &&
		(a.Out == nil || *a.Out == *b.Out) && (a.Error == nil || *a.Error == *b.Error)
}

func show(o outcome) string {
	if o.Error != nil {
		return "raises " + *o.Error
	}
	if o.Out != nil {
		return *o.Out
	}
	return "<nothing>"
}

func strList(items []string) *pyjson.Value {
	vals := make([]*pyjson.Value, len(items))
	for i, s := range items {
		vals[i] = str(s)
	}
	return List(vals)
}

func intList(items []int) *pyjson.Value {
	vals := make([]*pyjson.Value, len(items))
	for i, n := range items {
		vals[i] = integer(n)
	}
	return List(vals)
}

// The differential test against Python (proxy/gen/vectors_responses.py writes RESPONSES_VECTORS):
// each event inspected by the Go guard, and every answer computed from that verdict.
func TestSameAsPythonResponses(t *testing.T) {
	var file struct {
		Styles  []string `json:"styles"`
		Vectors []vector `json:"vectors"`
	}
	vectortest.Load(t, "RESPONSES_VECTORS", "write it with proxy/gen/vectors_responses.py", &file)
	if fmt.Sprint(file.Styles) != fmt.Sprint(contract.PyAUTHORIZER_RESPONSES) {
		t.Fatalf("styles %v, contract %v", file.Styles, contract.PyAUTHORIZER_RESPONSES)
	}
	g, err := guard.New(guard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checks, differ, verdictsDiffer := 0, 0, 0
	var first []string
	report := func(i int, what, goSide, pySide string) {
		checks++
		if goSide == pySide {
			return
		}
		differ++
		if len(first) < 15 {
			first = append(first, fmt.Sprintf("vector %d %s:\n  Go     %.600s\n  Python %.600s", i, what, goSide, pySide))
		}
	}
	for i, v := range file.Vectors {
		event := parse(t, v.Event)
		verdict, err := g.InspectEvent(event)
		if err != nil {
			t.Fatalf("vector %d: %v", i, err)
		}
		var findings [][]any
		for _, f := range verdict.Findings {
			var rec any
			if f.RecordIndex != adapters.NoRecord {
				rec = float64(f.RecordIndex)
			}
			findings = append(findings, []any{f.RuleID, f.Action, rec})
		}
		goVerdict := fmt.Sprint(verdict.Blocked, verdict.Source, findings)
		pyVerdict := fmt.Sprint(v.Verdict.Blocked, v.Verdict.Source, v.Verdict.Findings)
		if goVerdict != pyVerdict {
			verdictsDiffer++
		}
		report(i, "verdict", goVerdict, pyVerdict)
		source := verdict.Source
		rid := v.RequestID
		report(i, "blocking_rule_ids", fmt.Sprint(BlockingRuleIDs(verdict.Findings)), fmt.Sprint(v.BlockingRuleIDs))
		report(i, "fallback_source", FallbackSource(event), v.FallbackSource)
		results := make([]*pyjson.Value, len(v.Results))
		for n, r := range v.Results {
			results[n] = parse(t, r)
		}
		var heldAuto map[int]bool
		for _, style := range file.Styles {
			want, ok := v.Plans[style]
			if !ok {
				t.Fatalf("vector %d: no plan for style %q", i, style)
			}
			p, err := PlanInbound(verdict, source, event, rid, style)
			if err != nil || want.Error != nil {
				report(i, "plan_inbound "+style, show(got(nil, err)), show(outcome{Error: want.Error}))
				continue
			}
			pyRules := "None"
			if want.BlockedRules != nil {
				pyRules = pyjson.Dumps(strList(*want.BlockedRules))
			}
			goRules := "None"
			if p.Raise {
				goRules = pyjson.Dumps(strList(p.BlockedRules))
			}
			heldList := Sorted(p.Held)
			report(i, "plan_inbound "+style, fmt.Sprintf("respond=%v response=%s handler_event=%s blocked_rules=%s records=%s held=%v",
				p.Respond, pyjson.Dumps(p.Response), pyjson.Dumps(p.HandlerEvent), goRules, dumpsList(p.Records), heldList),
				fmt.Sprintf("respond=%v response=%s handler_event=%s blocked_rules=%s records=%s held=%v",
					want.Respond, want.Response, want.HandlerEvent, pyRules, want.Records, want.Held))
			if want.Raise != nil || p.Raise {
				raise := "<none>"
				if p.Raise {
					raise = p.RaiseBlocked(source).Error()
				}
				pyRaise := "<none>"
				if want.Raise != nil {
					pyRaise = *want.Raise
				}
				report(i, "raise_blocked "+style, raise, pyRaise)
			}
			for n, r := range results {
				report(i, fmt.Sprintf("with_held_failures %s result %d", style, n), show(got(p.WithHeldFailures(r, source), nil)), show(want.WithHeld[n]))
			}
			if style == contract.PyAUTHORIZER_AUTO {
				heldAuto = p.Held
			}
		}
		for n, r := range results {
			report(i, fmt.Sprintf("withhold result %d", n),
				show(got(Withhold(verdict, source, event, rid, r, heldAuto, contract.PyAUTHORIZER_AUTO))), show(v.Withhold[n]))
		}
		for n, style := range file.Styles {
			report(i, "withhold style "+style, show(got(Withhold(verdict, source, event, rid, nil, heldAuto, style))), show(v.WithholdStyles[n]))
		}
		n := 0
		for _, d := range []string{contract.PyDIRECTION_INBOUND, contract.PyDIRECTION_OUTBOUND} {
			for _, style := range file.Styles {
				for _, e := range []string{"RecursionError", "ValueError"} {
					report(i, fmt.Sprintf("refuse %s %s %s", d, style, e), show(got(Refuse(e, d, source, event, rid, style))), show(v.Refuse[n]))
					n++
				}
			}
		}
		for src, want := range v.PerSource {
			records, ok := RecordsOf(event, src)
			goRecs, pyRecs := "None", "None"
			if ok {
				goRecs = dumpsList(records)
			}
			if want.RecordsOf != nil {
				pyRecs = *want.RecordsOf
			}
			report(i, "records_of "+src, goRecs, pyRecs)
			if !ok || want.RecordsOf == nil {
				continue
			}
			for n, r := range records {
				report(i, fmt.Sprintf("item_identifier %s %d", src, n), pyjson.Dumps(ItemIdentifier(src, r)), want.ItemIdentifier[n])
				report(i, fmt.Sprintf("item_label %s %d", src, n), show(got(Str(ItemLabel(src, r)), nil)), show(want.ItemLabel[n]))
			}
			for n, s := range want.Sets {
				report(i, fmt.Sprintf("first_of_an_ordered_run %s %v", src, s), fmt.Sprint(FirstOfAnOrderedRun(src, records, set(s))), fmt.Sprint(want.FirstOfAnOrderedRun[n]))
				held, err := HeldBack(src, records, set(s))
				var heldOut outcome
				if err != nil {
					heldOut = got(nil, err)
				} else {
					heldOut = got(intList(Sorted(held)), nil)
				}
				report(i, fmt.Sprintf("held_back %s %v", src, s), show(heldOut), show(want.HeldBack[n]))
				report(i, fmt.Sprintf("without_records %s %v", src, s), pyjson.Dumps(WithoutRecords(event, src, set(s))), want.WithoutRecords[n])
				inRange := map[int]bool{}
				for _, x := range s {
					if x >= 0 && x < len(records) {
						inRange[x] = true
					}
				}
				report(i, fmt.Sprintf("batch_failures %s %v", src, s), dumpsList(BatchFailures(src, records, inRange)), want.BatchFailures[n])
			}
			report(i, "batch_failures(None) "+src, dumpsList(BatchFailuresAll(src, records)), want.BatchFailuresAll)
			k := 0
			for rn, r := range results {
				for _, s := range want.Sets[1:3] {
					report(i, fmt.Sprintf("sanitised_batch_failures %s result %d %v", src, rn, s),
						show(got(List(SanitisedBatchFailures(src, records, r, set(s))), nil)), show(want.Sanitised[k]))
					k++
				}
			}
			inRange := map[int]bool{}
			for _, x := range want.Sets[5] {
				if x >= 0 && x < len(records) {
					inRange[x] = true
				}
			}
			failures := append(BatchFailures(src, records, inRange), BatchFailuresAll(src, records)...)
			for rn, r := range results {
				report(i, fmt.Sprintf("merge_batch_failures %s result %d", src, rn), show(got(MergeBatchFailures(r, failures), nil)), show(want.Merge[rn]))
			}
		}
		n = 0
		for _, src := range []string{"alb", "apigw-rest", "apigw-http", "apigw-websocket", "function-url", "sqs"} {
			for _, status := range []int{403, 500, 200, 418} {
				report(i, fmt.Sprintf("http_response %s %d", src, status), pyjson.Dumps(HTTPResponse(src, event, status, rid)), v.HTTP[n])
				n++
			}
		}
		n = 0
		for _, src := range []string{"apigw-authorizer", "apigw-http-authorizer", "alb"} {
			for _, style := range append(append([]string(nil), file.Styles...), "other") {
				report(i, fmt.Sprintf("authorizer_denial %s %s", src, style), pyjson.Dumps(AuthorizerDenial(src, event, style)), v.Denial[n])
				n++
			}
		}
	}
	t.Logf("responses: %d events, %d checks, %d differ (%d verdicts differ)", len(file.Vectors), checks, differ, verdictsDiffer)
	if differ > 0 {
		for _, f := range first {
			t.Log(f)
		}
		t.Fatalf("%d of %d checks differ from Python", differ, checks)
	}
}
