package inspector

import (
	"io"
	"sort"
	"sync"

	"github.com/protect-lambda/protect-lambda/proxy/internal/adapters"
	"github.com/protect-lambda/protect-lambda/proxy/internal/contract"
	"github.com/protect-lambda/protect-lambda/proxy/internal/guard"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
	"github.com/protect-lambda/protect-lambda/proxy/internal/records"
	"github.com/protect-lambda/protect-lambda/proxy/internal/responses"
)

// Invocation is what a record names of one invocation (inspection.Invocation).
type Invocation struct {
	FunctionName, RequestID string
}

// Python: inspection.Reporter
//
// Reporter prints an inspection's records, one line each, to out (the extension's stdout,
// which Lambda puts in the function's log stream). A record that cannot be written is dropped:
// there is nothing left to report to, and the invocation must not fail for it.
type Reporter struct {
	config Config
	out    io.Writer
	now    func() float64
	mu     sync.Mutex
}

func (r *Reporter) emit(record records.Record) {
	line := records.FormatRecord(record) + "\n"
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.out != nil {
		_, _ = io.WriteString(r.out, line) // one write per record: lines never interleave
	}
}

// Python: Reporter.report
//
// Report prints the records of one inspection: nothing when it found nothing; else one record
// holding all its findings, or, for a batch event, one per record with findings (and one for the
// findings tied to no record). allowed: the invocation proceeds whatever was found (recorded as
// in monitor mode).
func (r *Reporter) Report(verdict guard.Verdict, source string, call Invocation, event *pyjson.Value, allowed bool) {
	findings := verdict.Findings
	if len(findings) == 0 {
		return
	}
	mode := r.config.Mode
	if allowed {
		detected := make([]guard.Finding, len(findings))
		for i, f := range findings {
			f.Action = contract.PyACTION_DETECTED
			detected[i] = f
		}
		findings, mode = detected, contract.PyMODE_MONITOR
	}
	var batch []*pyjson.Value
	isBatch := false
	if event != nil && responses.IsBatch(source) {
		batch, isBatch = responses.RecordsOf(event, source)
	}
	if !isBatch {
		r.violation(findings, source, mode, call, adapters.NoRecord, nil)
		return
	}
	groups := map[int][]guard.Finding{}
	for _, f := range findings {
		index := f.RecordIndex
		if index < 0 || index >= len(batch) {
			index = adapters.NoRecord
		}
		groups[index] = append(groups[index], f)
	}
	indexes := make([]int, 0, len(groups))
	for index := range groups {
		indexes = append(indexes, index)
	}
	sort.Ints(indexes) // NoRecord (negative) first, as Python sorts None as -1
	for _, index := range indexes {
		var item []rune
		if index != adapters.NoRecord {
			item = responses.ItemLabel(source, batch[index])
		}
		r.violation(groups[index], source, mode, call, index, item)
	}
}

func (r *Reporter) violation(findings []guard.Finding, source, mode string, call Invocation, index int, item []rune) {
	record, err := records.ViolationRecord(findings, records.Params{Source: []rune(source), Mode: []rune(mode),
		FunctionName: []rune(call.FunctionName), RequestID: []rune(call.RequestID), Seal: []rune(r.config.Seal),
		RecordIndex: index, ItemID: item}, r.now())
	if err == nil {
		r.emit(record)
	}
}

// Python: Reporter.guard_failed
//
// GuardFailed prints the GuardError record of a failure of the guard itself and says whether
// the fail policy blocks the invocation (never in monitor mode, never when mayBlock is false).
func (r *Reporter) GuardFailed(failure error, phase, source string, call Invocation, mayBlock bool) bool {
	block := mayBlock && r.config.FailPolicy == contract.PyFAIL_CLOSED && r.config.Mode == contract.PyMODE_BLOCK
	outcome := "proceeded"
	if block {
		outcome = "blocked"
	}
	p := records.ErrorParams{ErrorType: []rune(errorType(failure)), Phase: []rune(phase), Outcome: []rune(outcome),
		Source: []rune(source), Mode: []rune(r.config.Mode), FailPolicy: []rune(r.config.FailPolicy),
		FunctionName: []rune(call.FunctionName), RequestID: []rune(call.RequestID)}
	if f, ok := failure.(*failed); ok {
		p.Where = []rune(f.where)
	}
	if c, ok := failure.(*ConfigError); ok {
		p.Detail = []rune(c.Msg) // written from the deployer's configuration, never the event
	}
	if record, err := records.GuardErrorRecord(p, r.now()); err == nil {
		r.emit(record)
	}
	return block
}
