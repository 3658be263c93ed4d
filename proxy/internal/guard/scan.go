package guard

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/protect-lambda/protect-lambda/proxy/internal/adapters"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// InspectCase is protect_lambda_tools.evaluation.inspect_case: the event first; when it is not
// blocked and the line has a response, the response's verdict with the event's findings first.
func (g *Guard) InspectCase(c *pyjson.Value) (Verdict, error) {
	event := c.Get("event")
	inbound, err := g.InspectEvent(event)
	if err != nil {
		return Verdict{}, err
	}
	if inbound.Blocked || !c.Has("response") {
		return inbound, nil
	}
	haveEvent := event != nil && event.Kind != pyjson.Null
	outbound, err := g.InspectResponse(c.Get("response"), event, haveEvent)
	if err != nil {
		return Verdict{}, err
	}
	if len(inbound.Findings) == 0 {
		return outbound, nil
	}
	return Verdict{Blocked: outbound.Blocked, Source: outbound.Source,
		Findings: append(append([]Finding(nil), inbound.Findings...), outbound.Findings...)}, nil
}

// VerdictLine is `protect-lambda scan`'s line for one case: json.dumps of its verdict_json.
func VerdictLine(id *pyjson.Value, v Verdict) string {
	var b strings.Builder
	b.WriteString(`{"id": `)
	b.WriteString(pyjson.Dumps(id))
	if v.Blocked {
		b.WriteString(`, "blocked": true`)
	} else {
		b.WriteString(`, "blocked": false`)
	}
	b.WriteString(`, "source": `)
	b.WriteString(pyjson.QuoteASCII([]rune(v.Source)))
	b.WriteString(`, "findings": [`)
	for i, f := range v.Findings {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{"rule_id": %s, "category": %s, "direction": %s, "severity": %s, "location": %s, "action": %s, "record_index": `,
			pyjson.QuoteASCII([]rune(f.RuleID)), pyjson.QuoteASCII([]rune(f.Category)), pyjson.QuoteASCII([]rune(f.Direction)),
			pyjson.QuoteASCII([]rune(f.Severity)), pyjson.QuoteASCII(f.Location), pyjson.QuoteASCII([]rune(f.Action)))
		if f.RecordIndex == adapters.NoRecord {
			b.WriteString("null}")
		} else {
			fmt.Fprintf(&b, "%d}", f.RecordIndex)
		}
	}
	b.WriteString("]}")
	return b.String()
}

// ErrInput is a line that is not a JSON object (protect-lambda scan exits 2).
var ErrInput = errors.New("unreadable input")

// Scan reads JSON lines (text, universal newlines, as Python's open() reads them) and writes one
// verdict line per non-blank line, as `protect-lambda scan` does.
func (g *Guard) Scan(in io.Reader, out io.Writer) error {
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	defer w.Flush()
	text := strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n")
	for number, line := range strings.Split(text, "\n") {
		if len(pystr.Strip([]rune(line))) == 0 {
			continue
		}
		c, err := pyjson.Parse([]byte(line))
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInput, err)
		}
		if !c.IsMapping() {
			return fmt.Errorf("%w: line %d: expected a JSON object", ErrInput, number+1)
		}
		v, err := g.InspectCase(c)
		if err != nil {
			return err
		}
		w.WriteString(VerdictLine(c.Get("id"), v))
		w.WriteByte('\n')
	}
	return nil
}
