package responses

import (
	"strings"

	"github.com/protect-lambda/protect-lambda/proxy/internal/contract"
	"github.com/protect-lambda/protect-lambda/proxy/internal/guard"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
)

// Python: GuardBlockedError, GuardFailedClosedError
//
// Refusal is the exception Python raises instead of answering: GuardBlockedError (a blocked
// event or a withheld response of a source without a block response) or GuardFailedClosedError
// (a guard failure under the closed fail policy).
type Refusal struct {
	Type      string   // "GuardBlockedError" or "GuardFailedClosedError"
	RuleIDs   []string // GuardBlockedError: the rule ids, without duplicates, in order
	ErrorType string   // GuardFailedClosedError: the class name of the guard's failure
	Direction string
	Source    string
}

// Python: GuardBlockedError.__init__
func blockedError(ruleIDs []string, direction, source string) *Refusal {
	var ids []string
	seen := map[string]bool{}
	for _, id := range ruleIDs { // dict.fromkeys(rule_ids)
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return &Refusal{Type: "GuardBlockedError", RuleIDs: ids, Direction: direction, Source: source}
}

// Python: GuardBlockedError.__init__ / GuardFailedClosedError.__init__ (the message)
//
// Error is str() of the Python exception.
func (r *Refusal) Error() string {
	if r.Type == "GuardFailedClosedError" {
		return "protect-lambda failed closed (" + r.Direction + ", source " + r.Source + "): the guard raised " + r.ErrorType
	}
	what := "blocked the invocation"
	if r.Direction == "outbound" {
		what = "withheld the response"
	}
	label := "rules"
	if len(r.RuleIDs) == 1 {
		label = "rule"
	}
	return "protect-lambda " + what + " (" + r.Direction + ", source " + r.Source + "): " + label + " " + strings.Join(r.RuleIDs, ", ")
}

// Python: InboundPlan
//
// InboundPlan is the inbound decision: hand HandlerEvent on, answer Response (Respond), or raise
// (BlockedRules is not nil: Python's blocked_rules is not None). Records and Held are set for a
// batch of which some records were held back.
type InboundPlan struct {
	HandlerEvent *pyjson.Value
	Respond      bool
	Response     *pyjson.Value
	BlockedRules []string
	Raise        bool // blocked_rules is not None
	Records      []*pyjson.Value
	Held         map[int]bool
}

// Python: InboundPlan.raise_blocked
//
// RaiseBlocked is the GuardBlockedError of a blocked event that has no block response.
func (p *InboundPlan) RaiseBlocked(source string) *Refusal {
	return blockedError(p.BlockedRules, contract.PyDIRECTION_INBOUND, source)
}

// Python: InboundPlan.with_held_failures
//
// WithHeldFailures is the handler's result with the records held back added to its batch item
// failures.
func (p *InboundPlan) WithHeldFailures(result *pyjson.Value, source string) *pyjson.Value {
	if len(p.Held) == 0 {
		return result
	}
	return MergeBatchFailures(result, BatchFailures(source, p.Records, p.Held))
}

// Python: blocking_rule_ids
//
// BlockingRuleIDs is the ids of the blocking findings (of all findings when none blocks).
func BlockingRuleIDs(findings []guard.Finding) []string {
	blocking := []string{}
	all := []string{}
	for _, f := range findings {
		if f.Action == contract.PyACTION_BLOCKED {
			blocking = append(blocking, f.RuleID)
		}
		all = append(all, f.RuleID)
	}
	if len(blocking) > 0 {
		return blocking
	}
	return all
}

// Python: plan_inbound
//
// PlanInbound is what to do with an inspected event: hand it (or its clean records) on, answer,
// raise. The error is a *TypeError where Python's plan_inbound raises one.
func PlanInbound(verdict guard.Verdict, source string, event *pyjson.Value, requestID []rune, style string) (*InboundPlan, error) {
	if !verdict.Blocked {
		return &InboundPlan{HandlerEvent: event}, nil
	}
	if IsHTTP(source) {
		return &InboundPlan{Respond: true, Response: Forbidden(source, event, requestID)}, nil
	}
	if IsAuthorizer(source) {
		return &InboundPlan{Respond: true, Response: AuthorizerDenial(source, event, style)}, nil
	}
	var records []*pyjson.Value
	ok := false
	if IsBatch(source) {
		records, ok = RecordsOf(event, source)
	}
	if !ok {
		return &InboundPlan{Raise: true, BlockedRules: BlockingRuleIDs(verdict.Findings)}, nil
	}
	held, err := HeldBackVerdict(verdict, source, records)
	if err != nil {
		return nil, err
	}
	if FirstOfAnOrderedRun(source, records, held) {
		// an ordered batch starting with a blocked record: fail the invocation so that Lambda
		// bisects it (see the Python comment)
		return &InboundPlan{Raise: true, BlockedRules: BlockingRuleIDs(verdict.Findings)}, nil
	}
	if len(held) == len(records) {
		return &InboundPlan{Respond: true, Response: BatchResponse(BatchFailuresAll(source, records))}, nil
	}
	clean := WithoutRecords(event, source, held)
	return &InboundPlan{HandlerEvent: clean, Records: records, Held: held}, nil
}

// Python: blocking.held_back
//
// HeldBackVerdict is the indexes of the batch records not handed to the handler (all when a
// block is not tied to one record).
func HeldBackVerdict(verdict guard.Verdict, source string, records []*pyjson.Value) (map[int]bool, error) {
	var blocking []guard.Finding
	for _, f := range verdict.Findings {
		if f.Action == contract.PyACTION_BLOCKED {
			blocking = append(blocking, f)
		}
	}
	whole := len(blocking) == 0
	for _, f := range blocking {
		if f.RecordIndex < 0 || f.RecordIndex >= len(records) { // NoRecord (None) or out of range
			whole = true
		}
	}
	if whole {
		all := map[int]bool{}
		for i := range records {
			all[i] = true
		}
		return all, nil
	}
	indexes := map[int]bool{}
	for _, f := range blocking {
		indexes[f.RecordIndex] = true
	}
	return HeldBack(source, records, indexes)
}

// Python: sanitised_batch_failures
//
// SanitisedBatchFailures is the failures of a batch whose result is withheld: the handler's own
// entries that name a record of the batch (as new entries holding the event's identifier), then
// the records held back inbound, without duplicates.
func SanitisedBatchFailures(source string, records []*pyjson.Value, result *pyjson.Value, held map[int]bool) []*pyjson.Value {
	known := map[Key]int{}
	for index, record := range records {
		key, _ := IdentifierKey(ItemIdentifier(source, record)) // always hashable
		known[key] = index
	}
	var chosen []int
	var own *pyjson.Value
	if result.IsMapping() {
		own = result.Get("batchItemFailures")
	}
	if own.IsList() {
		for _, entry := range own.Items {
			var identifier *pyjson.Value
			if entry.IsMapping() {
				identifier = entry.Get("itemIdentifier")
			}
			key, err := IdentifierKey(identifier)
			if err != nil { // an unhashable part: names no record
				continue
			}
			if index, ok := known[key]; ok {
				chosen = append(chosen, index)
			}
		}
	}
	failures := []*pyjson.Value{}
	seen := map[Key]bool{}
	for _, index := range append(chosen, Sorted(held)...) {
		if index >= 0 && index < len(records) {
			identifier := ItemIdentifier(source, records[index])
			key, _ := IdentifierKey(identifier)
			if !seen[key] {
				seen[key] = true
				failures = append(failures, dict("itemIdentifier", identifier))
			}
		}
	}
	return failures
}

// Python: withhold
//
// Withhold is the answer instead of a leaking result, or the *Refusal (GuardBlockedError) Python
// raises for a source without one.
func Withhold(out guard.Verdict, source string, event *pyjson.Value, requestID []rune, result *pyjson.Value,
	held map[int]bool, style string) (*pyjson.Value, error) {
	if IsHTTP(source) {
		return Withheld(source, event, requestID), nil
	}
	if IsAuthorizer(source) {
		return AuthorizerDenial(source, event, style), nil
	}
	if IsBatch(source) {
		if records, ok := RecordsOf(event, source); ok {
			// Python falls back to failing every record if this raised: it cannot here
			return BatchResponse(SanitisedBatchFailures(source, records, result, held)), nil
		}
	}
	return nil, blockedError(BlockingRuleIDs(out.Findings), contract.PyDIRECTION_OUTBOUND, source)
}

// Python: refuse
//
// Refuse is the block of a fail-closed guard failure (errorType: the class name of the failure),
// or the *Refusal (GuardFailedClosedError) Python raises for a source without a block response.
func Refuse(errorType, direction, source string, event *pyjson.Value, requestID []rune, style string) (*pyjson.Value, error) {
	if IsHTTP(source) {
		if direction == contract.PyDIRECTION_INBOUND {
			return Forbidden(source, event, requestID), nil
		}
		return Withheld(source, event, requestID), nil
	}
	if IsAuthorizer(source) {
		return AuthorizerDenial(source, event, style), nil
	}
	if IsBatch(source) {
		if records, ok := RecordsOf(event, source); ok {
			return BatchResponse(BatchFailuresAll(source, records)), nil
		}
	}
	return nil, &Refusal{Type: "GuardFailedClosedError", ErrorType: errorType, Direction: direction, Source: source}
}
