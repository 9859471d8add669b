package rules

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"
)

// Evaluator runs compiled rules. It holds one expr VM and one reusable
// environment, so it is cheap per call and must not be shared between
// goroutines: give each worker its own.
type Evaluator struct {
	vm      vm.VM
	env     map[string]any
	noEvent map[string]any
	noComm  *Community
	// What is bound now: binding the same values again costs nothing,
	// which matters since the runtime binds before every rule group.
	member *Member
	comm   *Community
	state  State
	now    time.Time
	event  map[string]any
	ready  bool // the environment holds all five
	// nowStale says env["now"] is behind now: it is written only before
	// a rule that reads it runs, since putting a time in the map
	// allocates and most rules never read now.
	nowStale bool
}

// NewEvaluator returns an evaluator with nothing bound.
func NewEvaluator() *Evaluator {
	return &Evaluator{env: make(map[string]any, 5), noEvent: map[string]any{}, noComm: &Community{}}
}

// Bind sets what the next evaluations see. event may be nil for rules
// without an event.
func (e *Evaluator) Bind(member *Member, event map[string]any, community *Community, now time.Time, state State) {
	if community == nil {
		community = e.noComm
	}
	if event == nil {
		// Rules without an event cannot read it (validate refuses them);
		// an empty map keeps the environment's shape stable.
		event = e.noEvent
	}
	// Only what differs from the last bind is written: the environment
	// is a map, and the runtime binds before every group of rules.
	if !e.ready {
		e.ready = true
		e.member, e.comm, e.now, e.state, e.event, e.nowStale = member, community, now, state, event, false
		e.env["member"], e.env["community"], e.env["now"], e.env[stateVar], e.env["event"] = member, community, now, stateBox{state}, event
		return
	}
	if member != e.member {
		e.member = member
		e.env["member"] = member
	}
	if community != e.comm {
		e.comm = community
		e.env["community"] = community
	}
	if !now.Equal(e.now) {
		e.now = now
		e.nowStale = true
	}
	if state != e.state {
		e.state = state
		e.env[stateVar] = stateBox{state}
	}
	if !sameMap(event, e.event) {
		e.event = event
		e.env["event"] = event
	}
}

// sameMap reports whether a and b are the same map (not equal contents):
// the runtime reuses one view map per event, so it is bound again only
// when it is another map.
func sameMap(a, b map[string]any) bool {
	return b != nil && reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// Bool runs a rule compiled with Result Bool.
func (e *Evaluator) Bool(p *Program) (bool, error) {
	if e.nowStale && p.Reads.Now {
		e.env["now"], e.nowStale = e.now, false
	}
	out, err := e.vm.Run(p.program, e.env)
	if err != nil {
		return false, &RunError{Source: p.Source, Err: notBool(err)}
	}
	b, ok := out.(bool)
	if !ok {
		return false, &RunError{Source: p.Source, Err: fmt.Errorf("gave %T, not bool", out)}
	}
	return b, nil
}

// reNotBool is expr's run-time error for a condition whose value, of a
// type not known when it compiled (a profile attribute), is no bool: the
// rule's result, or (reOperandNotBool) what &&, ||, !, or ?: needs.
var (
	reNotBool        = regexp.MustCompile(`^invalid operation: bool\(([^()]*(?:\{\})?)\)`)
	reOperandNotBool = regexp.MustCompile(`^interface conversion: interface \{\} is ([^,]+), not bool`)
)

// notBool words expr's "invalid operation: bool(string) (1:1)" or
// "interface conversion: interface {} is nil, not bool (1:18)" and its
// snippet lines as what the rule gave and what to write, on one line:
// it is logged, counted, and shown by member why.
func notBool(err error) error {
	if m := reNotBool.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("gave %s, not true or false: compare it, such as member.attrs.email == 'opted_out' or member.attrs.score > 3", typeWords(m[1]))
	}
	if m := reOperandNotBool.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("used %s as a condition, where true or false is needed: compare it, such as member.attrs.vip == true or member.attrs.email == 'opted_out'", typeWords(m[1]))
	}
	return err
}

// typeWords names a Go type as expr prints it in a rule author's words.
func typeWords(what string) string {
	switch {
	case what == "nil":
		return "a missing value (nil)"
	case what == "string":
		return "a string"
	case strings.HasPrefix(what, "int"), strings.HasPrefix(what, "uint"), strings.HasPrefix(what, "float"):
		return "a number"
	case strings.HasPrefix(what, "[]"):
		return "a list"
	case strings.HasPrefix(what, "map["):
		return "a map"
	}
	return what
}

// String runs a rule compiled with Result String.
func (e *Evaluator) String(p *Program) (string, error) {
	if e.nowStale && p.Reads.Now {
		e.env["now"], e.nowStale = e.now, false
	}
	out, err := e.vm.Run(p.program, e.env)
	if err != nil {
		return "", &RunError{Source: p.Source, Err: notBool(err)}
	}
	s, ok := out.(string)
	if !ok {
		return "", &RunError{Source: p.Source, Err: fmt.Errorf("gave %T, not string", out)}
	}
	return s, nil
}

// Number runs a rule compiled with Result Number.
func (e *Evaluator) Number(p *Program) (float64, error) {
	if e.nowStale && p.Reads.Now {
		e.env["now"], e.nowStale = e.now, false
	}
	out, err := e.vm.Run(p.program, e.env)
	if err != nil {
		return 0, &RunError{Source: p.Source, Err: notBool(err)}
	}
	f, ok := out.(float64)
	if !ok {
		return 0, &RunError{Source: p.Source, Err: fmt.Errorf("gave %T, not number", out)}
	}
	return f, nil
}

// Value runs an expression compiled with Result Any.
func (e *Evaluator) Value(p *Program) (any, error) {
	if e.nowStale && p.Reads.Now {
		e.env["now"], e.nowStale = e.now, false
	}
	out, err := e.vm.Run(p.program, e.env)
	if err != nil {
		return nil, &RunError{Source: p.Source, Err: notBool(err)}
	}
	return out, nil
}

// RunError is a rule that failed while running, such as a division by
// zero or a missing map key. The runtime counts it and treats the rule as
// false; it never stops event processing.
type RunError struct {
	Source string
	Err    error
}

func (e *RunError) Error() string { return fmt.Sprintf("rule %q: %v", e.Source, e.Err) }
func (e *RunError) Unwrap() error { return e.Err }

// Time runs a rule compiled with Result Time.
func (e *Evaluator) Time(p *Program) (time.Time, error) {
	if e.nowStale && p.Reads.Now {
		e.env["now"], e.nowStale = e.now, false
	}
	out, err := e.vm.Run(p.program, e.env)
	if err != nil {
		return time.Time{}, &RunError{Source: p.Source, Err: notBool(err)}
	}
	t, ok := out.(time.Time)
	if !ok {
		return time.Time{}, &RunError{Source: p.Source, Err: fmt.Errorf("gave %T, not a time", out)}
	}
	return t, nil
}
