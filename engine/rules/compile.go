// Package rules compiles and evaluates hearth's expr-lang rules against a
// typed environment: `member`, `event` (in event rules), `community`,
// `now`, and the function library in functions.go.
//
// Rules are compiled once per config snapshot. Compilation also records
// what each rule reads, so the runtime can skip rules whose inputs did not
// change and re-check time-dependent rules only when they can flip.
package rules

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/agext/levenshtein"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"

	"github.com/hearth-community/hearth/engine/durations"
)

// Result is the type a rule must produce.
type Result int

const (
	Bool Result = iota
	String
	Number
	// Any takes whatever the expression gives: for trying an expression
	// out (hearth member eval), never for a rule in a configuration.
	Any
	// Time is a point in time, such as a step's until.
	Time
)

func (r Result) String() string {
	return [...]string{"bool", "string", "number", "value", "time"}[r]
}

// Scope is what a rule may refer to.
type Scope struct {
	// Event holds the attributes of `event`; nil means the rule has no
	// event (segment, tier and goal rules read member state only).
	Event map[string]AttrType
	// What names the rule is in, for messages: "segment rule".
	What       string
	EventTypes map[string]bool
	Segments   map[string]bool
	Badges     map[string]bool
	Tiers      map[string]bool
	Result     Result
	// NoEventHint replaces the hint for a rule without an event that
	// reads `event`.
	NoEventHint string
	// EventNames are the event attributes whose values name a segment,
	// tier or badge (segment.entered's segment), so that a literal
	// compared with them is checked like in_segment's argument.
	EventNames map[string]ArgKind
	// EventChoices are the event attributes that only ever hold one of a
	// few values (tier.changed's direction: "up" or "down"), so that a
	// literal compared with them is checked against those values.
	EventChoices map[string][]string
	// Channels are the names of the configuration's channel blocks, so
	// that a literal compared with event.channel that names none of them
	// is a warning (the platform may have channels hearth does not
	// manage); nil checks nothing.
	Channels map[string]bool
}

// Reads is what a compiled rule looks at.
type Reads struct {
	Member []string // member fields, sorted
	Event  bool
	// EventFields are the event fields read by name (event.kind), sorted;
	// EventWhole is set when the rule uses the event otherwise (event[k]
	// with a computed k, or the whole map), so any field may be read.
	EventFields []string
	EventWhole  bool
	Community   bool
	Now         bool
	EventTypes  []string // event types passed to count, days, total, streak
	Segments    []string
	Badges      []string
	Tiers       []string
	Functions   []string
	// Calls are the rule's calls of hearth functions with their literal
	// arguments as written, for explaining a result ("why").
	Calls         []Call
	TimeDependent bool // can change with no event, as time passes
	// Windows are the day windows of count, days, active_days and points_in: a
	// day's count leaves a window exactly Window days later.
	Windows []int
	// Anchors are comparisons of day counts with constants, such as
	// member.days_since_joined >= 14: they flip at a known time.
	Anchors []Anchor
	// Daily is set when time enters the rule in a way hearth cannot
	// predict (now, streak, days compared with a computed value): such a
	// rule is re-checked every day instead.
	Daily bool
	// LocalDaily is set by weekday(now): the rule turns at the member's
	// midnight, in their time zone, and is re-checked then.
	LocalDaily bool
	// Hourly is set by hour(now): the rule turns at the start of each of
	// the member's hours, and is re-checked then.
	Hourly bool
}

// Call is one call of a hearth function in a rule.
type Call struct {
	Func string
	Args []string // literal arguments as written; "" for computed ones
	// Now says the time argument is now itself (weekday(now)), whose
	// value is known when the call is explained.
	Now bool
}

// String writes the call as in the rule: count('message.posted', '30d').
func (c Call) String() string {
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		if c.Now && a == "" {
			args[i] = "now"
		} else if a == "" {
			args[i] = "…"
		} else {
			args[i] = "'" + a + "'"
		}
	}
	return c.Func + "(" + strings.Join(args, ", ") + ")"
}

// Anchor is a day count compared with a constant: Base is "joined",
// "active" or "left" (days since joined_at, last_active_at or left_at),
// Days the constant.
type Anchor struct {
	Base string
	Days int
}

// Program is one compiled rule. It is immutable and safe to share; run it
// with one Evaluator per goroutine.
type Program struct {
	Source string
	Result Result
	Reads  Reads
	// Warnings are problems the rule may have at run time, for validate
	// to show: an ordering or arithmetic on member.attrs.x, which is
	// missing (nil) for members without the attribute, member.attrs.x
	// used as a condition, which may be no bool, or as the list of a
	// predicate (any, filter); and the same of an element's field inside
	// such a predicate.
	Warnings []*Error
	program  *vm.Program
	split    *clauseSplit // nil for a rule that gives no bool
}

// Error is a compile error at a byte range of the rule's source.
type Error struct {
	Message string
	Hint    string
	From    int
	To      int
	// Summary, when set, heads a warning in place of the usual "may fail
	// at run time": one about what the rule names, not how it runs.
	Summary string
}

func (e *Error) Error() string {
	if e.Hint != "" {
		return e.Message + " " + e.Hint
	}
	return e.Message
}

const stateVar = "__state"

// Compiler compiles rules. Build one per config snapshot.
type Compiler struct {
	funcs     map[string]Function
	funcOpts  []expr.Option
	funcNames []string
	// callable are the names of functions a rule may use, hearth's and
	// expr's builtins, which are names like member to expr's checker.
	callable map[string]bool
}

// NewCompiler prepares the function library.
func NewCompiler() *Compiler {
	c := &Compiler{funcs: map[string]Function{}}
	// duration replaces expr's own, which takes Go's units only, so a
	// rule writes durations as the rest of hearth does: '1d', '2w'.
	c.funcOpts = append(c.funcOpts, expr.Function("duration", func(params ...any) (any, error) {
		s, _ := params[0].(string)
		return ruleDuration(s)
	}, new(func(string) time.Duration)))
	for _, f := range Functions() {
		c.funcs[f.Name] = f
		c.funcNames = append(c.funcNames, f.Name)
		call := f.call
		c.funcOpts = append(c.funcOpts, expr.Function(f.Name, func(params ...any) (any, error) {
			box, ok := params[0].(stateBox)
			s := box.s
			if !ok || s == nil {
				return nil, fmt.Errorf("%s: no member state bound", f.Name)
			}
			return call(s, params[1:]), nil
		}, f.sig))
	}
	cfg := conf.CreateNew()
	for _, o := range c.funcOpts {
		o(cfg)
	}
	c.callable = map[string]bool{}
	for _, t := range []conf.FunctionsTable{cfg.Functions, cfg.Builtins} {
		for name := range t {
			c.callable[name] = name != "now"
		}
	}
	return c
}

// ruleDuration reads a duration in a rule: hearth's form ('1d', '2w',
// '36h'), or Go's, which expr's own duration() took ('1.5h', '300ms'),
// so rules written for it keep working.
func ruleDuration(s string) (time.Duration, error) {
	d, err := durations.Parse(s)
	if err == nil {
		return d, nil
	}
	if g, gerr := time.ParseDuration(s); gerr == nil {
		return g, nil
	}
	return 0, err
}

// stateBox carries the State through the expr environment. A bare
// interface value would be dereferenced by the VM when it holds a pointer.
type stateBox struct{ s State }

var timeType = reflect.TypeOf(time.Time{})

// typeWord names a Go type as a rule author knows it.
func typeWord(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "a bool"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64:
		if t == reflect.TypeOf(time.Duration(0)) {
			return "a duration"
		}
		return "a number"
	case reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map:
		return "a map"
	}
	return t.String()
}

func attrType(t AttrType) types.Type {
	switch t {
	case TypeString:
		return types.String
	case TypeInt:
		return types.Int
	case TypeFloat:
		return types.Float64
	case TypeBool:
		return types.Bool
	case TypeTime:
		return types.TypeOf(time.Time{})
	case TypeList:
		return types.Array(types.Any)
	}
	return types.Any
}

func (s Scope) env() types.Map {
	env := types.Map{
		"member":    types.TypeOf(&Member{}),
		"community": types.TypeOf(&Community{}),
		"now":       types.TypeOf(time.Time{}),
		stateVar:    types.TypeOf(stateBox{}),
	}
	if s.Event != nil {
		ev := types.Map{}
		for k, t := range EventCommon {
			ev[k] = attrType(t)
		}
		for k, t := range s.Event {
			ev[k] = attrType(t)
		}
		env["event"] = ev
	}
	return env
}

// Compile type-checks and compiles one rule. All problems found are
// returned; positions are byte offsets into src.
func (c *Compiler) Compile(src string, scope Scope) (*Program, []*Error) {
	prog, errs, _, _ := c.compile(src, scope)
	return prog, errs
}

// Validate compiles a rule as Compile does and also gives its warnings,
// which a Program carries, when the rule has errors too: validate shows
// every problem of a rule in one run.
func (c *Compiler) Validate(src string, scope Scope) (*Program, []*Error, []*Error) {
	prog, errs, warnings, _ := c.compile(src, scope)
	return prog, errs, warnings
}

// compile is Compile, with the walk over the rule for the tests.
//
// expr's checker reports only the first problem of a rule. hearth's own
// walk (precheck) finds the problems it knows of all over the rule: the
// arguments of its functions, names compared with a tier or segment,
// and names that do not exist (names). expr's error is added where it is
// about a part of the rule hearth's walk found nothing wrong with, such
// as a type mismatch: an error about a part hearth already reported is
// the same problem or follows from it.
func (c *Compiler) compile(src string, scope Scope) (*Program, []*Error, []*Error, *precheck) {
	if strings.TrimSpace(src) == "" {
		return nil, []*Error{{Message: "The rule is empty.", Hint: "Write an expression such as \"member.points >= 100\".", From: 0, To: len(src)}}, nil, nil
	}
	pc := &precheck{c: c, scope: scope, src: src}
	opts := []expr.Option{
		expr.Env(scope.env()),
		expr.DisableBuiltin("now"), // `now` is the event time, so replays are deterministic
		expr.Patch(pc),
	}
	switch scope.Result {
	case Bool:
		opts = append(opts, expr.AsBool())
	case String:
		opts = append(opts, expr.AsKind(reflect.String))
	case Number:
		opts = append(opts, expr.AsFloat64())
	}
	opts = append(opts, c.funcOpts...)
	prog, err := expr.Compile(src, opts...)
	if pc.root != nil {
		pc.names(pc.root, nil)
		if scope.Result == Bool {
			pc.condition(pc.root, "", true)
		}
	}
	errs := pc.errs
	if err != nil {
		errs = append(errs, pc.nameErrs...)
		if e := c.explain(err, src, scope); !pc.tainted(e.From) {
			pc.mismatch(err, e)
			errs = append(errs, e)
		}
	} else {
		// expr's checker knows every name hearth's walk does: a name
		// the walk missed where expr found none is the walk's mistake.
		pc.spurious = pc.nameErrs
	}
	if len(errs) > 0 {
		return nil, sortErrors(errs), pc.untainted(pc.warnings()), pc
	}
	if scope.Result == Time {
		// expr has no option asking for a struct type: the checked tree
		// says what the rule gives. A value of unknown type (an "any"
		// attribute) is checked when the rule runs.
		if t := prog.Node().Type(); t != nil && t != timeType && t.Kind() != reflect.Interface {
			return nil, []*Error{{Message: fmt.Sprintf("The %s must give a time, but this one gives %s.", orRule(scope.What), typeWord(t)),
				Hint: "Give a time such as event.starts_at - duration('24h'), member.joined_at + duration('30d') or now + duration('2h').", From: 0, To: len(src)}}, pc.warnings(), pc
		}
	}
	p := &Program{Source: src, Result: scope.Result, Reads: pc.reads(), Warnings: pc.warnings(), program: prog}
	if scope.Result == Bool || scope.Result == Any {
		// An expression tried out (Any) that joins parts with && or ||
		// gives a bool as well.
		p.split = &clauseSplit{c: c, scope: scope}
	}
	return p, nil, p.Warnings, pc
}

// sortErrors orders errors by where they start and drops repeats.
func sortErrors(errs []*Error) []*Error {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].From < errs[j].From })
	out := errs[:0]
	for i, e := range errs {
		if i > 0 {
			if prev := out[len(out)-1]; prev.From == e.From && prev.To == e.To && prev.Message == e.Message {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

// precheck walks the parsed rule before expr type-checks it: it validates
// the literal arguments of hearth's functions, records what the rule
// reads, and passes the member state to the functions as a hidden first
// argument.
type precheck struct {
	c       *Compiler
	scope   Scope
	src     string
	errs    []*Error
	member  map[string]bool
	evTypes map[string]bool
	segs    map[string]bool
	badges  map[string]bool
	tiers   map[string]bool
	funcs   map[string]bool
	event   bool
	evUses  int             // times the identifier event appears
	evNamed map[string]bool // fields read as event.NAME
	evByKey int             // of those uses, the ones reading a named field
	comm    bool
	now     bool
	timeDep bool
	daily   bool
	// localDaily and hourly: weekday(now) and hour(now), which turn at
	// the member's midnight and at each of their hours.
	localDaily, hourly bool
	calls              []Call
	windows            map[int]bool
	anchors            map[Anchor]bool
	// days are day-count expressions not yet seen in a comparison with a
	// constant, by node.
	days map[ast.Node]string
	// untyped are orderings and arithmetic on values that may be missing
	// (member.attrs.x), by source offset; guarded are the values the rule
	// compares with nil or tests with in, which it handles itself.
	untyped map[int]untypedUse
	guarded map[string]bool
	// conds are values of no known type used as conditions
	// (member.attrs.vip && ...), by source offset.
	conds map[int]condUse
	// elems are the predicates (any, filter, ...) the walk is in,
	// innermost last: what # stands for there.
	elems []elemScope
	// root is the whole rule, after patching.
	root ast.Node
	// soft are warnings found on the way (a channel name no channel
	// block has).
	soft []*Error
	// nameErrs are the names the rule reads that do not exist, found by
	// names; spurious are those of a rule expr found no error in, which
	// only a mistake of the walk can give (the fuzz test looks for them).
	nameErrs    []*Error
	spurious    []*Error
	noEventSaid bool
	// readAfter is the name read after a member access (minutes after
	// event.attrs in event.attrs.minutes), by that access's node.
	readAfter map[*ast.MemberNode]string
	// taints are the byte ranges hearth reported errors about, where an
	// error of expr is about the same problem or follows from it: a call
	// of a function with a wrong argument is not patched, so expr finds
	// its arguments wrong too.
	taints [][2]int
	// skip are the subtrees names does not look into, as an error about
	// the whole of them was reported: an argument that must be a literal,
	// a call with the wrong number of arguments.
	skip map[ast.Node]bool
}

// untypedVal is a value of no type hearth can check: a profile
// attribute, an event attribute declared "any", an element of a list of
// them or a field of one, or such a value with a default (??) that is
// one too.
type untypedVal struct {
	// name is what a nil check guarding it names: member.attrs.x
	// however the rule writes it (member.attrs?.['x']).
	name string
	// label is how messages name it.
	label string
	// absent is whom it is missing (nil) for: "members without that
	// attribute"; "" when it cannot be missing (an element of a list).
	absent string
	// coalesce is set for a ?? b, which needs brackets beside another
	// operator.
	coalesce bool
}

// elemScope is what # stands for inside one predicate.
type elemScope struct {
	// untyped says the elements have no type hearth can check: the
	// list is a profile attribute, say.
	untyped bool
	// list is the list as the rule writes it, for messages.
	list string
}

// condUse is a value of no known type where true or false is needed.
type condUse struct {
	val      untypedVal
	from, to int    // what the suggestion replaces in the source
	value    string // the value as written
	// op needs the bool: "&&", "||", "and", "or", "!", "not", "?:",
	// "if", or a builtin whose predicate it is (any, filter); "" when
	// the value is the rule's own result.
	op string
	// negated is !member.attrs.vip, whose suggestion is != true.
	negated bool
	// paren says the suggestion needs brackets where it stands.
	paren bool
}

// untypedUse is an operator or a builtin applied to a value of no known
// type.
type untypedUse struct {
	val        untypedVal
	from, to   int    // the value in the source
	suggestion string // (member.attrs.reputation ?? 0) > 10
	use        string // "> on a missing value"
}

func add(m *map[string]bool, k string) {
	if *m == nil {
		*m = map[string]bool{}
	}
	(*m)[k] = true
}

func (p *precheck) errAt(n ast.Node, msg, hint string) {
	from, to := p.bytes(span(n))
	p.errs = append(p.errs, &Error{Message: msg, Hint: hint, From: from, To: to})
	p.taint(from, to)
}

func (p *precheck) taint(from, to int) {
	p.taints = append(p.taints, [2]int{from, to})
}

// tainted reports whether the byte at is in a part of the rule an error
// was reported about.
func (p *precheck) tainted(at int) bool {
	for _, t := range p.taints {
		if at >= t[0] && at < t[1] {
			return true
		}
	}
	return false
}

// untainted are the warnings about parts of the rule no error is about.
func (p *precheck) untainted(warnings []*Error) []*Error {
	var out []*Error
	for _, w := range warnings {
		if !p.tainted(w.From) {
			out = append(out, w)
		}
	}
	return out
}

func (p *precheck) skipNames(n ast.Node) {
	if p.skip == nil {
		p.skip = map[ast.Node]bool{}
	}
	p.skip[n] = true
}

func (p *precheck) bytes(loc file.Location) (int, int) {
	from := runeToByte(p.src, loc.From)
	to := runeToByte(p.src, loc.To)
	if to <= from {
		to = from + 1
	}
	if to > len(p.src) {
		to = len(p.src)
	}
	return from, to
}

// span is the source range of a whole subtree: expr records only the
// position of each node's own token (the property of a.b, say).
func span(n ast.Node) file.Location {
	loc := n.Location()
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		l := n.Location()
		if l.From < loc.From {
			loc.From = l.From
		}
		if l.To > loc.To {
			loc.To = l.To
		}
		if m, ok := n.(*ast.MemberNode); ok {
			walk(m.Node)
			walk(m.Property)
		}
	}
	walk(n)
	return loc
}

func runeToByte(s string, r int) int {
	i := 0
	for n := 0; n < r && i < len(s); n++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

func (p *precheck) Visit(node *ast.Node) {
	p.visit(node)
	// The walk is post-order: the root is visited last.
	p.root = *node
}

func (p *precheck) visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.UnaryNode, *ast.ConditionalNode, *ast.BuiltinNode:
		p.uses(n)
	case *ast.IdentifierNode:
		switch n.Value {
		case "event":
			p.event = true
			p.evUses++
		case "community":
			p.comm = true
		case "now":
			p.now = true
			p.timeDep = true
			p.daily = true
		case stateVar:
			p.errAt(n, fmt.Sprintf("%q is reserved.", stateVar), "")
			// Whatever expr says of its use follows from it.
			p.taint(0, len(p.src))
		}
	case *ast.MemberNode:
		if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == "event" {
			if s, ok := n.Property.(*ast.StringNode); ok {
				add(&p.evNamed, s.Value)
				p.evByKey++
			}
		}
		if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == "member" {
			if s, ok := n.Property.(*ast.StringNode); ok {
				add(&p.member, s.Value)
				switch s.Value {
				case "days_since_joined":
					p.timeDep = true
					p.dayCount(n, "joined")
				case "days_since_active":
					p.timeDep = true
					p.dayCount(n, "active")
				case "days_since_left":
					p.timeDep = true
					p.dayCount(n, "left")
				}
			}
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return
		}
		if id.Value == "duration" && len(n.Arguments) == 1 {
			// A literal duration is checked now, not when the rule runs.
			if lit, ok := n.Arguments[0].(*ast.StringNode); ok {
				if _, err := ruleDuration(lit.Value); err != nil {
					p.errAt(lit, upperFirst(err.Error())+".", "")
				}
			}
			return
		}
		f, ok := p.c.funcs[id.Value]
		if !ok {
			return
		}
		if len(n.Arguments) > 0 {
			if s, ok := n.Arguments[0].(*ast.IdentifierNode); ok && s.Value == stateVar {
				return // already patched: visitors may run more than once
			}
		}
		add(&p.funcs, f.Name)
		if f.TimeDependent {
			p.timeDep = true
		}
		if len(n.Arguments) != len(f.Args) {
			p.errAt(n, fmt.Sprintf("%s takes %d argument(s), got %d.", f.Name, len(f.Args), len(n.Arguments)), "Use "+f.Signature+", for example "+f.Example+".")
			p.skipNames(n)
			p.taint(p.valueBytes(n))
			return
		}
		args := []ast.Node{&ast.IdentifierNode{Value: stateVar}}
		valid := true
		for i, kind := range f.Args {
			// Every argument is checked, not only up to the first
			// wrong one.
			arg, ok := p.checkArg(f, kind, n.Arguments[i])
			valid = valid && ok
			args = append(args, arg)
		}
		if !valid {
			// Left unpatched, the call is wrong to expr too.
			p.taint(p.valueBytes(n))
			return
		}
		patched := &ast.CallNode{Callee: n.Callee, Arguments: args}
		call := Call{Func: f.Name}
		for i, a := range n.Arguments {
			lit := ""
			if s, ok := a.(*ast.StringNode); ok {
				lit = s.Value
			}
			if id, ok := a.(*ast.IdentifierNode); ok && id.Value == "now" && f.Args[i] == ArgTime {
				call.Now = true
			}
			call.Args = append(call.Args, lit)
		}
		p.calls = append(p.calls, call)
		ast.Patch(node, patched)
		p.timing(f, patched)
	case *ast.BinaryNode:
		p.uses(n)
		p.checkNamed(n)
		switch n.Operator {
		case "<", "<=", ">", ">=", "==", "!=":
		default:
			return
		}
		for _, pair := range [][2]ast.Node{{n.Left, n.Right}, {n.Right, n.Left}} {
			base, ok := p.days[pair[0]]
			k, isInt := pair[1].(*ast.IntegerNode)
			if ok && isInt {
				if p.anchors == nil {
					p.anchors = map[Anchor]bool{}
				}
				p.anchors[Anchor{Base: base, Days: k.Value}] = true
				delete(p.days, pair[0])
			}
		}
	}
}

// checkNamed checks the literals compared with a value that names a
// segment, tier or badge (member.tier == 'core', event.segment in
// ['lurkers']): a misspelt name would never match, and the rule would
// silently never hold.
func (p *precheck) checkNamed(n *ast.BinaryNode) {
	p.checkChoice(n)
	var lits []ast.Node
	kind, ok := ArgKind(0), false
	switch n.Operator {
	case "==", "!=":
		if kind, ok = p.namedValue(n.Left); ok {
			lits = []ast.Node{n.Right}
		} else if kind, ok = p.namedValue(n.Right); ok {
			lits = []ast.Node{n.Left}
		}
	case "in":
		if kind, ok = p.namedValue(n.Left); ok {
			if arr, isArr := n.Right.(*ast.ArrayNode); isArr {
				lits = arr.Nodes
			}
		}
	}
	for _, l := range lits {
		lit, isStr := l.(*ast.StringNode)
		if !isStr {
			continue
		}
		switch kind {
		case ArgSegment:
			p.known(lit, "segment", lit.Value, p.scope.Segments, "")
		case ArgBadge:
			p.known(lit, "badge", lit.Value, p.scope.Badges, "")
		case ArgTier:
			if lit.Value != "" { // no tier
				p.known(lit, "tier", lit.Value, p.scope.Tiers, "")
			}
		case ArgChannel:
			p.knownChannel(lit)
		}
	}
}

// knownChannel warns of a literal compared with event.channel that no
// channel block names: a typo never matches, but the platform may have
// channels hearth does not manage, so it is not an error.
func (p *precheck) knownChannel(lit *ast.StringNode) {
	if p.scope.Channels == nil || p.scope.Channels[lit.Value] {
		return
	}
	names := keys(p.scope.Channels)
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	hint := "event.channel is the channel's name on the platform (its title, or else its block name), and event.channel_id its id; the channels are " + strings.Join(quoted, ", ") + "."
	if isDigits(lit.Value) {
		hint = "event.channel is the channel's name on the platform: to compare a channel's id, use event.channel_id == " + strconv.Quote(lit.Value) + "."
	} else if dym := DidYouMean(lit.Value, names); dym != "" {
		hint = dym + " " + hint
	}
	from, to := p.bytes(span(lit))
	p.soft = append(p.soft, &Error{Summary: "Unknown channel name", Message: fmt.Sprintf("No channel block is named %q or has it as its title, so this comparison holds only in a channel hearth does not manage.", lit.Value), Hint: hint, From: from, To: to})
}

// isDigits says s is a number, such as a channel id.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// checkChoice checks the literals compared with an event attribute of a
// fixed set of values (event.direction == 'promoted'): such a rule would
// silently never hold.
func (p *precheck) checkChoice(n *ast.BinaryNode) {
	choice := func(n ast.Node) (string, []string) {
		m, ok := n.(*ast.MemberNode)
		if !ok || p.scope.Event == nil {
			return "", nil
		}
		id, isID := m.Node.(*ast.IdentifierNode)
		prop, isStr := m.Property.(*ast.StringNode)
		if !isID || !isStr || id.Value != "event" {
			return "", nil
		}
		return prop.Value, p.scope.EventChoices[prop.Value]
	}
	var lits []ast.Node
	var attr string
	var values []string
	switch n.Operator {
	case "==", "!=":
		if attr, values = choice(n.Left); values != nil {
			lits = []ast.Node{n.Right}
		} else if attr, values = choice(n.Right); values != nil {
			lits = []ast.Node{n.Left}
		}
	case "in":
		if attr, values = choice(n.Left); values != nil {
			if arr, isArr := n.Right.(*ast.ArrayNode); isArr {
				lits = arr.Nodes
			}
		}
	}
	for _, l := range lits {
		lit, isStr := l.(*ast.StringNode)
		if !isStr || slices.Contains(values, lit.Value) {
			continue
		}
		quoted := make([]string, len(values))
		for i, v := range values {
			quoted[i] = strconv.Quote(v)
		}
		hint := "hearth sets it to one of " + strings.Join(quoted, ", ") + "."
		if dym := DidYouMean(lit.Value, values); dym != "" {
			hint = dym + " " + hint
		}
		p.errAt(lit, fmt.Sprintf("event.%s is never %q, so this comparison never holds.", attr, lit.Value), hint)
	}
}

// namedValue reports whether n is member.tier or an event attribute of
// Scope.EventNames, and what it names.
func (p *precheck) namedValue(n ast.Node) (ArgKind, bool) {
	m, ok := n.(*ast.MemberNode)
	if !ok {
		return 0, false
	}
	id, isID := m.Node.(*ast.IdentifierNode)
	prop, isStr := m.Property.(*ast.StringNode)
	if !isID || !isStr {
		return 0, false
	}
	switch {
	case id.Value == "member" && prop.Value == "tier":
		return ArgTier, true
	case id.Value == "event" && p.scope.Event != nil:
		kind, ok := p.scope.EventNames[prop.Value]
		return kind, ok
	}
	return 0, false
}

// uses records the values of no known type that n uses where they may
// fail at run time: as an operand of an ordering or arithmetic, as a
// condition, or as the list of a builtin such as any.
func (p *precheck) uses(n ast.Node) {
	switch n := n.(type) {
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			p.negation(n)
		}
	case *ast.ConditionalNode:
		op := "?:"
		if !n.Ternary {
			op = "if"
		}
		p.condition(n.Cond, op, true)
	case *ast.BinaryNode:
		p.checkUntyped(n)
		switch n.Operator {
		case "&&", "||", "and", "or":
			// == binds tighter than these: the suggestion needs no
			// brackets.
			p.condition(n.Left, n.Operator, true)
			p.condition(n.Right, n.Operator, true)
		}
	case *ast.BuiltinNode:
		p.predicate(n)
	}
}

// untypedValue says whether n is a value whose type the rule cannot know
// and which is nil when absent: member.attrs.x, or an event attribute
// declared "any", also read with ?. or given a default (??) that is
// such a value too; and inside a predicate over a list of such values,
// an element (#) or its field (.x, #.x).
func (p *precheck) untypedValue(n ast.Node) (untypedVal, bool) {
	switch n := n.(type) {
	case *ast.ChainNode:
		// member.attrs?.x: ?. gives nil where member.attrs is nil,
		// which it never is; the attribute is as missing as ever.
		return p.untypedValue(n.Node)
	case *ast.BinaryNode:
		return p.coalesced(n)
	case *ast.PointerNode:
		if e, ok := p.elem(); ok && n.Name == "" {
			return untypedVal{name: "#" + e.list, label: "# (an element of " + e.list + ")"}, true
		}
	case *ast.MemberNode:
		key, ok := n.Property.(*ast.StringNode)
		if !ok {
			return untypedVal{}, false
		}
		switch base := n.Node.(type) {
		case *ast.MemberNode:
			id, ok := base.Node.(*ast.IdentifierNode)
			prop, isStr := base.Property.(*ast.StringNode)
			if ok && isStr && id.Value == "member" && prop.Value == "attrs" {
				name := "member.attrs." + key.Value
				return untypedVal{name: name, label: name, absent: "members without that attribute"}, true
			}
		case *ast.IdentifierNode:
			if base.Value == "event" && p.scope.Event != nil {
				if t, declared := p.scope.Event[key.Value]; declared && t == TypeAny {
					name := "event." + key.Value
					return untypedVal{name: name, label: name, absent: "events without that attribute (it is declared \"any\")"}, true
				}
			}
		case *ast.PointerNode:
			if e, ok := p.elem(); ok && base.Name == "" {
				return untypedVal{name: "#" + e.list + "." + key.Value, label: "." + key.Value + " of an element of " + e.list, absent: "elements without it"}, true
			}
		}
	}
	return untypedVal{}, false
}

// coalesced says whether a ?? b still has no known type: where the
// default is such a value too, or nil, it is missing where both are. A
// default of a type (0, false, [], a string) makes a value the rule
// handles.
func (p *precheck) coalesced(n *ast.BinaryNode) (untypedVal, bool) {
	if n.Operator != "??" {
		return untypedVal{}, false
	}
	l, ok := p.untypedValue(n.Left)
	if !ok {
		return untypedVal{}, false
	}
	if _, isNil := n.Right.(*ast.NilNode); isNil {
		l.coalesce = true
		return l, true
	}
	r, ok := p.untypedValue(n.Right)
	if !ok {
		return untypedVal{}, false
	}
	v := untypedVal{name: l.name + " ?? " + r.name, label: l.label + " ?? " + r.label, coalesce: true}
	if l.absent != "" && r.absent != "" {
		who, _, _ := strings.Cut(r.absent, " ")
		v.absent = who + " without any of them"
	}
	return v, true
}

// elem is what # stands for where the walk is, when the elements have
// no type hearth can check.
func (p *precheck) elem() (elemScope, bool) {
	if len(p.elems) == 0 {
		return elemScope{}, false
	}
	e := p.elems[len(p.elems)-1]
	return e, e.untyped
}

// checkUntyped records an ordering or arithmetic on a value that may be
// missing, and the nil checks that guard one.
func (p *precheck) checkUntyped(n *ast.BinaryNode) {
	switch n.Operator {
	case "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "**":
	case "==", "!=":
		for _, pair := range [][2]ast.Node{{n.Left, n.Right}, {n.Right, n.Left}} {
			if _, isNil := pair[1].(*ast.NilNode); isNil {
				if v, ok := p.untypedValue(pair[0]); ok {
					add(&p.guarded, v.name)
				}
			}
		}
		return
	case "in":
		// 'x' in member.attrs, 'x' in # (an element of a list of maps).
		if s, ok := n.Left.(*ast.StringNode); ok {
			if v, ok := p.untypedValue(&ast.MemberNode{Node: n.Right, Property: s}); ok {
				add(&p.guarded, v.name)
			}
		}
		return
	default:
		return
	}
	for i, pair := range [][2]ast.Node{{n.Left, n.Right}, {n.Right, n.Left}} {
		v, ok := p.untypedValue(pair[0])
		if !ok || v.absent == "" {
			// An element (#) is never missing: its list holds it.
			continue
		}
		from, to := p.valueBytes(pair[0])
		def := "0"
		if isString(pair[1]) {
			def = "''"
		}
		fixed := "(" + p.withoutNil(pair[0]) + " ?? " + def + ")"
		suggestion := fixed
		if other, ok := p.literalSource(pair[1]); ok {
			if i == 0 {
				suggestion = fixed + " " + n.Operator + " " + other
			} else {
				suggestion = other + " " + n.Operator + " " + fixed
			}
		}
		p.addUntyped(untypedUse{val: v, from: from, to: to, suggestion: suggestion, use: n.Operator + " on a missing value"})
	}
}

// withoutNil is the source of a value without a default of nil, which
// the default to add replaces: member.attrs.a for member.attrs.a ?? nil.
func (p *precheck) withoutNil(n ast.Node) string {
	for {
		c, ok := n.(*ast.BinaryNode)
		if !ok || c.Operator != "??" {
			break
		}
		if _, isNil := c.Right.(*ast.NilNode); !isNil {
			break
		}
		n = c.Left
	}
	from, to := p.valueBytes(n)
	return p.src[from:to]
}

func (p *precheck) addUntyped(u untypedUse) {
	if p.untyped == nil {
		p.untyped = map[int]untypedUse{}
	}
	p.untyped[u.from] = u
}

// predicate checks a builtin that takes a predicate (any, filter, map):
// its list fails at run time where it is missing, its predicate may have
// to give true or false, and in the predicate # stands for an element
// of the list, of no known type where the list has none. The walk over
// the tree visits a predicate before the one around it, where # was not
// yet known, so each predicate walks the ones inside it again.
func (p *precheck) predicate(n *ast.BuiltinNode) {
	if len(n.Arguments) < 2 {
		return
	}
	body, ok := n.Arguments[1].(*ast.PredicateNode)
	if !ok {
		return
	}
	p.listUse(n)
	// Messages name the list without its default: the elements of
	// member.attrs.tags, not of member.attrs.tags ?? [].
	list := n.Arguments[0]
	for {
		c, ok := list.(*ast.BinaryNode)
		if !ok || c.Operator != "??" {
			break
		}
		list = c.Left
	}
	from, to := p.valueBytes(list)
	label := strings.Join(strings.Fields(p.src[from:to]), " ")
	p.elems = append(p.elems, elemScope{untyped: p.elemsUntyped(n.Arguments[0]), list: label})
	defer func() { p.elems = p.elems[:len(p.elems)-1] }()
	p.walkUses(body.Node)
	if boolPredicate(n.Name) {
		// The predicate ends at } or at the call's ): an == there
		// needs no brackets.
		p.condition(result(body.Node), n.Name, true)
	}
}

// boolPredicate reports whether the builtin's predicate must give true
// or false; map, sum, sortBy and the rest take any value from theirs.
func boolPredicate(name string) bool {
	switch name {
	case "all", "any", "none", "one", "filter", "find", "findIndex", "findLast", "findLastIndex", "count":
		return true
	}
	return false
}

// result is the node whose value a predicate gives: the last of a
// sequence ({a; b}), the expression after let.
func result(n ast.Node) ast.Node {
	for {
		switch s := n.(type) {
		case *ast.SequenceNode:
			if len(s.Nodes) == 0 {
				return n
			}
			n = s.Nodes[len(s.Nodes)-1]
		case *ast.VariableDeclaratorNode:
			n = s.Expr
		default:
			return n
		}
	}
}

// listUse records a builtin over a list that may be missing: any,
// filter and the rest fail at run time on nil.
func (p *precheck) listUse(n *ast.BuiltinNode) {
	v, ok := p.untypedValue(n.Arguments[0])
	if !ok || v.absent == "" {
		return
	}
	from, to := p.valueBytes(n.Arguments[0])
	fixed := p.withoutNil(n.Arguments[0]) + " ?? []"
	suggestion := ""
	if call := runeToByte(p.src, n.Location().From); call < from {
		// any(member.attrs.tags, ...): the call as it would be.
		if end := p.callEnd(to); end > 0 {
			suggestion = p.src[call:from] + fixed + p.src[to:end]
		}
	} else {
		// member.attrs.tags | any(...): the rule as it would be.
		suggestion = p.src[:from] + fixed + p.src[to:]
	}
	if suggestion == "" || len(suggestion) > 80 || strings.Contains(suggestion, "\n") {
		suggestion = n.Name + "(" + fixed + ", …)"
	}
	p.addUntyped(untypedUse{val: v, from: from, to: to, suggestion: suggestion, use: n.Name + " on a missing list"})
}

// elemsUntyped reports whether the elements of list have no type hearth
// can check: it is such a value itself (member.attrs.tags), maybe with
// a default (?? []), filtered or sorted, or an event attribute declared
// "list", which may hold anything.
func (p *precheck) elemsUntyped(list ast.Node) bool {
	if _, ok := p.untypedValue(list); ok {
		return true
	}
	switch l := list.(type) {
	case *ast.ChainNode:
		return p.elemsUntyped(l.Node)
	case *ast.BinaryNode:
		return l.Operator == "??" && p.elemsUntyped(l.Left)
	case *ast.BuiltinNode:
		return (l.Name == "filter" || l.Name == "sortBy") && len(l.Arguments) > 0 && p.elemsUntyped(l.Arguments[0])
	case *ast.MemberNode:
		id, isID := l.Node.(*ast.IdentifierNode)
		key, isStr := l.Property.(*ast.StringNode)
		return isID && isStr && id.Value == "event" && p.scope.Event != nil && p.scope.Event[key.Value] == TypeList
	}
	return false
}

// walkUses records the uses in a predicate, where what # is is known,
// children first as in the walk over the whole tree.
func (p *precheck) walkUses(n ast.Node) {
	if n == nil {
		return
	}
	for _, c := range children(n) {
		if _, ok := c.(*ast.PredicateNode); ok {
			continue // walked by uses, with its own #
		}
		p.walkUses(c)
	}
	p.uses(n)
}

// names reports the names the rule reads that do not exist, all over
// the rule: unknown names (memer), fields member and community lack, and
// attributes the rule's event lacks. They are what expr's checker reports
// too, but it stops at the first. vars are the names let declared where
// the walk is.
func (p *precheck) names(n ast.Node, vars []string) {
	if n == nil || p.skip[n] {
		return
	}
	switch n := n.(type) {
	case *ast.IdentifierNode:
		if !p.knownName(n.Value, vars) {
			e := p.c.explain(&file.Error{Location: n.Location(), Message: "unknown name " + n.Value}, p.src, p.scope)
			p.taint(e.From, e.To)
			// A misspelt name is shown wherever it stands; a rule
			// without an event is told so once.
			if n.Value != "event" || !p.noEventSaid {
				p.nameErrs = append(p.nameErrs, e)
			}
			p.noEventSaid = p.noEventSaid || n.Value == "event"
		}
		return
	case *ast.VariableDeclaratorNode:
		p.names(n.Value, vars)
		p.names(n.Expr, append(vars[:len(vars):len(vars)], n.Name))
		return
	case *ast.MemberNode:
		if in, ok := n.Node.(*ast.MemberNode); ok && !n.Method {
			if next, ok := n.Property.(*ast.StringNode); ok {
				if p.readAfter == nil {
					p.readAfter = map[*ast.MemberNode]string{}
				}
				p.readAfter[in] = next.Value
			}
		}
		p.field(n)
	}
	for _, c := range children(n) {
		p.names(c, vars)
	}
}

func (p *precheck) knownName(name string, vars []string) bool {
	switch name {
	case "member", "community", "now", stateVar, "$env":
		return true
	case "event":
		return p.scope.Event != nil
	}
	return p.c.callable[name] || slices.Contains(vars, name)
}

// field reports member.x, community.x or event.x where there is no x.
func (p *precheck) field(n *ast.MemberNode) {
	id, isID := n.Node.(*ast.IdentifierNode)
	prop, isStr := n.Property.(*ast.StringNode)
	if !isID || !isStr || n.Method {
		return
	}
	var msg, hint string
	switch id.Value {
	case "member", "community":
		if hasField(id.Value, prop.Value) {
			return
		}
		msg, hint = noField(id.Value, prop.Value)
	case "event":
		if p.scope.Event == nil {
			return // the name event is the error
		}
		if _, open := p.scope.Event[types.Extra]; open {
			return
		}
		if _, ok := p.scope.Event[prop.Value]; ok {
			return
		}
		if _, ok := EventCommon[prop.Value]; ok {
			return
		}
		msg, hint = noEventAttr(p.scope, prop.Value, p.readAfter[n])
	default:
		return
	}
	// The property, also in member['x'], where expr points at the [.
	from, to := p.bytes(prop.Location())
	p.nameErrs = append(p.nameErrs, &Error{Message: msg, Hint: hint, From: from, To: to})
	p.taint(p.valueBytes(n))
}

// hasField reports whether member or community (what) has the field.
func hasField(what, name string) bool {
	fields := MemberFields()
	if what == "community" {
		fields = CommunityFields()
	}
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// children are the nodes directly under n, as ast.Walk visits them.
func children(n ast.Node) []ast.Node {
	switch n := n.(type) {
	case *ast.UnaryNode:
		return []ast.Node{n.Node}
	case *ast.BinaryNode:
		return []ast.Node{n.Left, n.Right}
	case *ast.ChainNode:
		return []ast.Node{n.Node}
	case *ast.MemberNode:
		return []ast.Node{n.Node, n.Property}
	case *ast.SliceNode:
		return []ast.Node{n.Node, n.From, n.To}
	case *ast.CallNode:
		return append([]ast.Node{n.Callee}, n.Arguments...)
	case *ast.BuiltinNode:
		return n.Arguments
	case *ast.PredicateNode:
		return []ast.Node{n.Node}
	case *ast.VariableDeclaratorNode:
		return []ast.Node{n.Value, n.Expr}
	case *ast.SequenceNode:
		return n.Nodes
	case *ast.ConditionalNode:
		return []ast.Node{n.Cond, n.Exp1, n.Exp2}
	case *ast.ArrayNode:
		return n.Nodes
	case *ast.MapNode:
		return n.Pairs
	case *ast.PairNode:
		return []ast.Node{n.Key, n.Value}
	}
	return nil
}

// extent is the source range of a whole subtree: expr records only the
// position of each node's own token (the property of a.b, the operator
// of a ?? b). Nodes hearth put in (the state argument of its functions)
// have no position and are left out.
func extent(n ast.Node) file.Location {
	loc := n.Location()
	for _, c := range children(n) {
		if c == nil {
			continue
		}
		l := extent(c)
		if l.From == 0 && l.To == 0 {
			continue
		}
		if loc.From == 0 && loc.To == 0 {
			loc = l
			continue
		}
		loc.From = min(loc.From, l.From)
		loc.To = max(loc.To, l.To)
	}
	return loc
}

// valueBytes is the byte range of a value in the source, with the
// brackets and quotes it opens closed: extent ends member.attrs['x'] at
// the key, before its bracket.
func (p *precheck) valueBytes(n ast.Node) (int, int) {
	from, to := p.bytes(extent(n))
	to = p.closeOpen(from, to)
	// ((member.attrs.a ?? nil) ?? nil) ends at a bracket that opens
	// before the first token.
	for open := p.unopened(from, to); open > 0; open-- {
		i := from
		for i > 0 && p.src[i-1] == ' ' {
			i--
		}
		if i == 0 || p.src[i-1] != '(' {
			break
		}
		from = i - 1
	}
	return from, to
}

// unopened counts the brackets src[from:to] closes without opening.
func (p *precheck) unopened(from, to int) int {
	var q quotes
	depth, n := 0, 0
	for i := from; i < to; i++ {
		switch q.bracket(p.src, &i) {
		case +1:
			depth++
		case -1:
			if depth == 0 {
				n++
			} else {
				depth--
			}
		}
	}
	return n
}

// quotes follows the quoted strings of an expression's source as the
// bracket scanners walk it, so brackets inside strings are not counted.
type quotes struct{ open byte }

// bracket says what src[*i] is outside quoted text: +1 an opening
// bracket, -1 a closing one, 0 anything else; it steps *i over an
// escaped character in a string.
func (q *quotes) bracket(src string, i *int) int {
	c := src[*i]
	switch {
	case q.open != 0:
		if c == '\\' {
			*i++
		} else if c == q.open {
			q.open = 0
		}
	case c == '\'' || c == '"' || c == '`':
		q.open = c
	case c == '(' || c == '[' || c == '{':
		return +1
	case c == ')' || c == ']' || c == '}':
		return -1
	}
	return 0
}

// closeOpen moves to past the brackets and quotes that src[from:to]
// leaves open; it is to as it is when they do not close.
func (p *precheck) closeOpen(from, to int) int {
	var q quotes
	depth := 0
	for i := from; i < len(p.src); i++ {
		if i >= to && depth == 0 && q.open == 0 {
			return i
		}
		switch q.bracket(p.src, &i) {
		case +1:
			depth++
		case -1:
			if depth == 0 {
				return to
			}
			depth--
		}
	}
	if depth == 0 && q.open == 0 {
		return len(p.src)
	}
	return to
}

// callEnd is the byte after the ) that closes the call an argument
// ending at i is in, or -1.
func (p *precheck) callEnd(i int) int {
	var q quotes
	depth := 0
	for ; i < len(p.src); i++ {
		switch q.bracket(p.src, &i) {
		case +1:
			depth++
		case -1:
			if depth > 0 {
				depth--
			} else if p.src[i] == ')' {
				return i + 1
			} else {
				return -1
			}
		}
	}
	return -1
}

// condValue is the range and the text of a value used as a condition,
// for its comparison with true: a ?? b goes in brackets, since expr
// refuses an == right after a ??.
func (p *precheck) condValue(n ast.Node, v untypedVal) (int, int, string) {
	from, to := p.valueBytes(n)
	if !v.coalesce {
		return from, to, p.src[from:to]
	}
	i, j := from, to
	for i > 0 && p.src[i-1] == ' ' {
		i--
	}
	for j < len(p.src) && p.src[j] == ' ' {
		j++
	}
	if i > 0 && j < len(p.src) && p.src[i-1] == '(' && p.src[j] == ')' {
		return i - 1, j + 1, p.src[i-1 : j+1]
	}
	return from, to, "(" + p.src[from:to] + ")"
}

// negation records ! or not applied to a value of no known type: its
// suggestion replaces the whole negation. It needs brackets unless the
// negation turns out to stand where a condition goes.
func (p *precheck) negation(n *ast.UnaryNode) {
	v, ok := p.untypedValue(n.Node)
	if !ok {
		p.condition(n.Node, n.Operator, false)
		return
	}
	from, _ := p.bytes(n.Location())
	vfrom, to, value := p.condValue(n.Node, v)
	// The range covers the operator and its value, whichever position
	// the parser gave the operator.
	from = min(from, vfrom)
	p.addCond(condUse{val: v, from: from, to: to, value: value, op: n.Operator, negated: true, paren: true})
}

// condition records n if it is a value of no known type used as a
// condition by op ("" for the rule's result). bare says an == in its
// place needs no brackets.
func (p *precheck) condition(n ast.Node, op string, bare bool) {
	switch n := n.(type) {
	case *ast.UnaryNode:
		// A negation recorded when it was visited, which stands
		// where a condition goes.
		if u, ok := p.conds[runeToByte(p.src, n.Location().From)]; ok && u.negated && bare {
			u.paren = false
			p.conds[u.from] = u
		}
	case *ast.ConditionalNode:
		// Both branches give the condition; a branch ends at : or at
		// the end of the ?:, so an == there needs no brackets.
		p.condition(n.Exp1, op, true)
		p.condition(n.Exp2, op, true)
	default:
		v, ok := p.untypedValue(n)
		if !ok {
			return
		}
		from, to, value := p.condValue(n, v)
		p.addCond(condUse{val: v, from: from, to: to, value: value, op: op, paren: !bare})
	}
}

func (p *precheck) addCond(u condUse) {
	if p.conds == nil {
		p.conds = map[int]condUse{}
	}
	// A value may be seen more than once (the walk can repeat):
	// brackets are needed only if every sighting needs them.
	if prev, ok := p.conds[u.from]; ok && !prev.paren {
		u.paren = false
	}
	p.conds[u.from] = u
}

// condWarning says what to write instead of a value of no known type
// used as a condition: a comparison with true, which is false for a
// missing value and for anything but true.
func (p *precheck) condWarning(u condUse) *Error {
	var msg string
	switch {
	case u.op == "":
		// A missing value as the whole result is false, not an error.
		msg = fmt.Sprintf("%s has no type hearth can check, and the %s gives it as its condition: where it is not true or false (a string such as \"yes\", or a number), the rule fails at run time and counts as false.", u.val.label, orRule(p.scope.What))
	case p.guarded[u.val.name] || u.val.absent == "":
		msg = fmt.Sprintf("%s has no type hearth can check; %s, so where it is a string or a number the rule fails at run time and counts as false.", u.val.label, needsBool(u.op))
	default:
		msg = fmt.Sprintf("%s has no type hearth can check and is missing (nil) for %s; %s, so the rule fails at run time for them (and where it is a string or a number), and then counts as false.", u.val.label, u.val.absent, needsBool(u.op))
	}
	fixed, when := u.value+" == true", "false when it is missing or anything else"
	if u.negated {
		fixed, when = u.value+" != true", "true when it is missing or anything but true"
	}
	if u.val.absent == "" {
		// An element of a list, which holds it.
		when = strings.Replace(when, "missing or ", "", 1)
	}
	if u.paren {
		fixed = "(" + fixed + ")"
	}
	// The whole rule rewritten, when it is short enough to read in
	// one line.
	if whole := p.src[:u.from] + fixed + p.src[u.to:]; len(whole) <= 80 && !strings.Contains(whole, "\n") {
		fixed = whole
	}
	return &Error{Message: msg, Hint: fmt.Sprintf("Compare it with true (%s): %s.", when, fixed), From: u.from, To: u.to}
}

// needsBool says what an operator needs of its operand.
func needsBool(op string) string {
	switch op {
	case "!", "not":
		return op + " takes true or false"
	case "?:":
		return "the condition of ?: must be true or false"
	case "if":
		return "the condition of if must be true or false"
	case "&&", "||", "and", "or":
		return "both sides of " + op + " must be true or false"
	}
	return "the predicate of " + op + " must give true or false"
}

func isString(n ast.Node) bool {
	_, ok := n.(*ast.StringNode)
	return ok
}

// literalSource is the source of a literal or a field path, whose extent
// span knows; other nodes are not rewritten in a suggestion.
func (p *precheck) literalSource(n ast.Node) (string, bool) {
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.StringNode, *ast.BoolNode, *ast.MemberNode, *ast.IdentifierNode, *ast.PointerNode:
		from, to := p.bytes(span(n))
		return p.src[from:to], true
	}
	return "", false
}

// warnings are the unguarded uses of values that may be missing.
func (p *precheck) warnings() []*Error {
	var out []*Error
	for _, u := range p.untyped {
		if p.guarded[u.val.name] {
			continue
		}
		out = append(out, &Error{
			Message: fmt.Sprintf("%s has no type hearth can check and is missing (nil) for %s; %s fails at run time, and the rule then counts as false for them.", u.val.label, u.val.absent, u.use),
			Hint:    fmt.Sprintf("Give it a default: %s.", u.suggestion),
			From:    u.from, To: u.to,
		})
	}
	for _, u := range p.conds {
		out = append(out, p.condWarning(u))
	}
	out = append(out, p.soft...)
	sort.Slice(out, func(i, j int) bool { return out[i].From < out[j].From })
	return out
}

func (p *precheck) dayCount(n ast.Node, base string) {
	if p.days == nil {
		p.days = map[ast.Node]string{}
	}
	p.days[n] = base
}

// timing records how a patched call of a time-dependent function makes
// its rule change with time.
func (p *precheck) timing(f Function, call *ast.CallNode) {
	switch f.Name {
	case "count", "days", "active_days", "points_in":
		if w, ok := call.Arguments[len(call.Arguments)-1].(*ast.IntegerNode); ok {
			if p.windows == nil {
				p.windows = map[int]bool{}
			}
			p.windows[w.Value] = true
		}
	case "days_since":
		if m, ok := call.Arguments[1].(*ast.MemberNode); ok {
			if id, ok := m.Node.(*ast.IdentifierNode); ok && id.Value == "member" {
				if prop, ok := m.Property.(*ast.StringNode); ok {
					switch prop.Value {
					case "joined_at":
						p.dayCount(call, "joined")
						return
					case "last_active_at":
						p.dayCount(call, "active")
						return
					case "left_at":
						p.dayCount(call, "left")
						return
					}
				}
			}
		}
		p.daily = true
	case "streak":
		p.daily = true
	case "weekday", "hour":
		// Of a fixed time (event.at, member.joined_at) the value never
		// changes; of now it turns on the member's clock.
		if readsNow(call.Arguments[1]) {
			p.timeDep = true
			if f.Name == "hour" {
				p.hourly = true
			} else {
				p.localDaily = true
			}
		}
	}
}

// readsNow reports whether n reads now anywhere in it.
func readsNow(n ast.Node) bool {
	if id, ok := n.(*ast.IdentifierNode); ok && id.Value == "now" {
		return true
	}
	for _, c := range children(n) {
		if readsNow(c) {
			return true
		}
	}
	return false
}

func (p *precheck) checkArg(f Function, kind ArgKind, arg ast.Node) (ast.Node, bool) {
	if kind == ArgTime || kind == ArgInt {
		if err := p.checkAlone(arg); err != nil {
			// expr's first error in the argument stands for all of
			// them: names does not look into it again.
			e := p.c.explain(err, p.src, p.scope)
			p.mismatch(err, e)
			p.errs = append(p.errs, e)
			p.taint(e.From, e.To)
			p.skipNames(arg)
			return nil, false
		}
		return arg, true
	}
	lit, ok := arg.(*ast.StringNode)
	if !ok {
		from, to := p.valueBytes(arg)
		p.errs = append(p.errs, &Error{Message: fmt.Sprintf("The argument of %s must be a quoted literal.", f.Name),
			Hint: "hearth checks these names and windows when it validates, so they cannot be computed; for example " + f.Example + ".", From: from, To: to})
		p.taint(from, to)
		p.skipNames(arg)
		return nil, false
	}
	v := lit.Value
	switch kind {
	case ArgWindow:
		d, err := durations.Parse(v)
		if err != nil {
			p.errAt(arg, fmt.Sprintf("Invalid window: %s.", strings.TrimPrefix(err.Error(), durations.ErrSyntax.Error()+" ")), "")
			return nil, false
		}
		if d <= 0 || d%durations.Day != 0 {
			p.errAt(arg, fmt.Sprintf("Invalid window %q: windows are counted in whole days.", v), "Use a number of days or weeks, such as \"1d\", \"30d\" or \"4w\". Windows are UTC calendar days ending with the event's: \"1d\" is that day so far, \"7d\" adds the six days before. To limit how often something happens within hours, an incentive has limit = \"3/1h\" and cooldown, a campaign frequency_cap.")
			return nil, false
		}
		if d > 400*durations.Day {
			p.errAt(arg, fmt.Sprintf("Window %q is longer than the 400 days hearth keeps per-day counts for.", v), "")
			return nil, false
		}
		return &ast.IntegerNode{Value: int(d / durations.Day)}, true
	case ArgEventType:
		add(&p.evTypes, v)
		return arg, p.known(arg, "event type", v, p.scope.EventTypes, "Declare custom event types with an event block.")
	case ArgSegment:
		add(&p.segs, v)
		return arg, p.known(arg, "segment", v, p.scope.Segments, "")
	case ArgBadge:
		add(&p.badges, v)
		return arg, p.known(arg, "badge", v, p.scope.Badges, "")
	case ArgTier:
		add(&p.tiers, v)
		return arg, p.known(arg, "tier", v, p.scope.Tiers, "")
	}
	return arg, true
}

// checkAlone type-checks a computed argument on its own. expr's checker
// keeps the type it gave the patched call in an earlier pass and does not
// look at the call's arguments again, so a typo in them (a missing member
// field in days_since(member.joined)) would compile and fail at run time.
func (p *precheck) checkAlone(arg ast.Node) error {
	cfg := conf.CreateNew()
	expr.Env(p.scope.env())(cfg)
	expr.DisableBuiltin("now")(cfg)
	for _, o := range p.c.funcOpts {
		o(cfg)
	}
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}
	cfg.Check()
	_, err := checker.Check(&parser.Tree{Node: arg, Source: file.NewSource(p.src)}, cfg)
	return err
}

func (p *precheck) known(n ast.Node, what, name string, set map[string]bool, extra string) bool {
	if set == nil || set[name] {
		return true
	}
	hint := DidYouMean(name, keys(set))
	if hint == "" {
		hint = extra
	}
	p.errAt(n, fmt.Sprintf("There is no %s named %q.", what, name), hint)
	return false
}

func (p *precheck) reads() Reads {
	r := Reads{
		Member: keys(p.member), Event: p.event, Community: p.comm, Now: p.now,
		EventFields: keys(p.evNamed), EventWhole: p.evUses > p.evByKey,
		EventTypes: keys(p.evTypes), Segments: keys(p.segs), Badges: keys(p.badges),
		Tiers: keys(p.tiers), Functions: keys(p.funcs), TimeDependent: p.timeDep,
		Daily: p.daily || len(p.days) > 0, Calls: p.calls,
		LocalDaily: p.localDaily, Hourly: p.hourly,
	}
	for w := range p.windows {
		r.Windows = append(r.Windows, w)
	}
	sort.Ints(r.Windows)
	for a := range p.anchors {
		r.Anchors = append(r.Anchors, a)
	}
	sort.Slice(r.Anchors, func(i, j int) bool {
		if r.Anchors[i].Base != r.Anchors[j].Base {
			return r.Anchors[i].Base < r.Anchors[j].Base
		}
		return r.Anchors[i].Days < r.Anchors[j].Days
	})
	return r
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var (
	reUnknownName  = regexp.MustCompile(`^unknown name (\S+)`)
	reHCLRef       = regexp.MustCompile(`^(var|local)\.[A-Za-z_][A-Za-z0-9_-]*`)
	reNoField      = regexp.MustCompile(`^type \*?\S*\.(Member|Community) has no field (\S+)`)
	reUnknownField = regexp.MustCompile(`^unknown field (\S+)`)
	reScalarField  = regexp.MustCompile(`^type (int|float64|string|bool) has no field (\S+)`)
	reUnknownFunc  = regexp.MustCompile(`^unknown func (\S+)`)
	reCoalesceMix  = regexp.MustCompile(`^Operator \((.+?)\) and coalesce expressions \(\?\?\) cannot be mixed`)
	reMismatch     = regexp.MustCompile(`^invalid operation: (\S+) \(mismatched types (\S+) and (\S+)\)`)
)

// explain turns an expr error into one that names hearth's concepts and
// suggests the closest name.
func (c *Compiler) explain(err error, src string, scope Scope) *Error {
	from, to, msg := 0, len(src), err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		from = runeToByte(src, fe.From)
		to = runeToByte(src, fe.To)
		if to <= from {
			to = from + 1
		}
		if to > len(src) {
			to = len(src)
		}
		if from >= len(src) && len(src) > 0 {
			from = len(src) - 1
		}
	}
	e := &Error{From: from, To: to}
	names := func() []string {
		out := []string{"member", "community", "now"}
		if scope.Event != nil {
			out = append(out, "event")
		}
		return append(out, c.funcNames...)
	}
	switch {
	case reUnknownName.MatchString(msg):
		name := reUnknownName.FindStringSubmatch(msg)[1]
		e.To = from + len(name)
		if name == "event" && scope.Event == nil {
			e.Message = fmt.Sprintf("%s %s has no event.", article(orRule(scope.What)), orRule(scope.What))
			e.Hint = "It is evaluated over member state at any time, not on one event; react to events with an incentive or a campaign's enter_on."
			if scope.NoEventHint != "" {
				e.Hint = scope.NoEventHint
			}
			return e
		}
		e.Message = fmt.Sprintf("Unknown name %q.", name)
		if ref := reHCLRef.FindString(src[from:]); ref != "" && (name == "var" || name == "local") {
			// Terraform habit: a rule is an expr string hearth runs on
			// events, where HCL's var and local do not exist; the value
			// goes into the string when the file is read.
			e.To = from + len(ref)
			fixed := "${" + ref + "}"
			if whole := src[:from] + fixed + src[e.To:]; len(whole) <= 80 && !strings.Contains(whole, "\n") {
				fixed = whole
			}
			e.Hint = fmt.Sprintf("A rule is an expression in a string, which hearth evaluates itself: HCL's var and local are not names in it. Interpolate the value into the string, filled in when the file is read: \"%s\" (a string value needs quotes in the rule: '${%s}').", fixed, ref)
			return e
		}
		e.Hint = DidYouMean(name, names())
		if e.Hint == "" {
			e.Hint = "A rule can read member, community, now" + map[bool]string{true: ", event", false: ""}[scope.Event != nil] + " and the functions listed by `hearth explain functions`."
		}
	case reUnknownFunc.MatchString(msg):
		name := reUnknownFunc.FindStringSubmatch(msg)[1]
		e.Message = fmt.Sprintf("Unknown function %q.", name)
		e.Hint = DidYouMean(name, c.funcNames)
	case strings.HasPrefix(msg, "expected "):
		e.Message = fmt.Sprintf("The %s must give a %s, but this one %s.", orRule(scope.What), scope.Result, strings.TrimPrefix(msg, "expected "+map[Result]string{Bool: "bool", String: "string", Number: "float64"}[scope.Result]+", but "))
		e.From, e.To = 0, len(src)
		// Say what to write: a bare value where a condition goes is the
		// usual slip (stop_when = "member.messages").
		switch scope.Result {
		case Bool:
			e.Hint = "A condition gives true or false: compare the value, such as \"member.points > 100\" or \"member.attrs.email == 'opted_out'\"."
		case String:
			e.Hint = "Make it a string, such as string(event.seats)."
		}
	case reNoField.MatchString(msg):
		m := reNoField.FindStringSubmatch(msg)
		e.Message, e.Hint = noField(strings.ToLower(m[1]), m[2])
	case reScalarField.MatchString(msg):
		m := reScalarField.FindStringSubmatch(msg)
		e.Message, e.Hint = scalarField(src[:from], m[1], m[2])
	case reUnknownField.MatchString(msg) && scope.Event != nil:
		name := reUnknownField.FindStringSubmatch(msg)[1]
		e.Message, e.Hint = noEventAttr(scope, name, nameAfter(src, from, name))
	case reCoalesceMix.MatchString(msg):
		// expr gives ?? no precedence against the other operators:
		// member.attrs.level ?? 0 > 2 could compare the default alone.
		op := reCoalesceMix.FindStringSubmatch(msg)[1]
		e.To = from + len(op)
		if e.To > len(src) {
			e.To = len(src)
		}
		e.Message = fmt.Sprintf("A value with a default (??) cannot be followed by %s without brackets.", op)
		fixed := c.coalesceFix(src, from)
		if fixed == "" {
			e.Hint = "Put the value and its default in brackets, such as (member.attrs.reputation ?? 0) > 10."
		} else {
			e.Hint = fmt.Sprintf("Put the value and its default in brackets: %s.", fixed)
		}
	default:
		e.Message = strings.TrimSuffix(upperFirst(strings.TrimSpace(msg)), ".") + "."
	}
	return e
}

// scalarField explains reading a field of a plain value, such as
// member.badges.helper: badges is how many the member holds, so the
// question "do they hold helper" is a function's.
func scalarField(before, kind, name string) (msg, hint string) {
	of := before
	if i := strings.LastIndexFunc(strings.TrimSuffix(of, "."), func(r rune) bool {
		return r != '.' && r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}); i >= 0 {
		of = of[i+1:]
	}
	of = strings.TrimSuffix(of, ".")
	what := map[string]string{"int": "a number", "float64": "a number", "string": "text", "bool": "true or false"}[kind]
	if of == "" {
		return fmt.Sprintf("A value of type %s has no field %q.", kind, name), ""
	}
	msg = fmt.Sprintf("%s is %s, which has no field %q.", of, what, name)
	switch of {
	case "member.badges":
		hint = fmt.Sprintf("member.badges is how many badge awards the member holds; has_badge('%s') says whether they hold that one.", name)
	case "member.tier":
		hint = fmt.Sprintf("member.tier is the tier's name: compare it, such as member.tier == '%s'.", name)
	}
	return msg, hint
}

// noField says that member or community (what) has no field name.
func noField(what, name string) (msg, hint string) {
	fields := MemberFields()
	if what == "community" {
		fields = CommunityFields()
	}
	var fn []string
	for _, f := range fields {
		fn = append(fn, f.Name)
	}
	closest := Closest(name, fn)
	hint = DidYouMean(name, fn)
	switch {
	case what == "member" && (closest == "" || 2*levenshtein.Distance(name, closest, nil) > len(name)):
		// No field it is a typo of: likely a profile attribute read
		// like a field, member.vip for member.attrs.vip.
		if hint != "" {
			hint += " "
		}
		hint += fmt.Sprintf("A profile attribute is read as member.attrs.%s; see `hearth explain member` for the fields.", name)
	case hint == "":
		hint = fmt.Sprintf("See `hearth explain %s` for its fields.", what)
	}
	return fmt.Sprintf("%s has no field %q.", what, name), hint
}

// noEventAttr says that the event of a rule has no attribute name. next
// is the name the rule reads after it, if any: event.attrs.minutes is
// the usual slip, as events files and test files write an event's
// attributes under attrs, while a rule reads them as event.minutes.
func noEventAttr(scope Scope, name, next string) (msg, hint string) {
	all := sortedKeys(scope.Event)
	all = append(all, sortedKeys(EventCommon)...)
	msg = fmt.Sprintf("event has no attribute %q in this rule.", name)
	if name == "attrs" {
		if next == "" {
			next = "NAME"
		}
		hint = fmt.Sprintf("Event attributes are read as event.%s in rules; attrs is only where events files (JSONL) and test files write them.", next)
		_, has := scope.Event[next]
		_, common := EventCommon[next]
		if next != "NAME" && !has && !common {
			hint += fmt.Sprintf(" The event types this rule listens to have no attribute %q either", next)
			if c := Closest(next, all); c != "" {
				hint += fmt.Sprintf("; did you mean event.%s?", c)
			} else {
				hint += "; they have " + strings.Join(all, ", ") + "."
			}
		}
		return msg, hint
	}
	hint = DidYouMean(name, all)
	if hint == "" {
		hint = fmt.Sprintf("The attributes of the event types this rule listens to are: %s. To read one of your own, declare it in an event block for the type, a standard type too: event \"TYPE\" { attributes = { %s = \"string\" } }.", strings.Join(all, ", "), name)
	}
	return msg, hint
}

// nameAfter is the name src reads right after name, which starts at or
// after from: "minutes" in event.attrs.minutes, event.attrs?.minutes or
// event.attrs['minutes'], else "".
func nameAfter(src string, from int, name string) string {
	if from < 0 || from > len(src) {
		return ""
	}
	i := strings.Index(src[from:], name)
	if i < 0 {
		return ""
	}
	m := reNameAfter.FindStringSubmatch(src[from+i+len(name):])
	if m == nil {
		return ""
	}
	return m[1] + m[2]
}

var reNameAfter = regexp.MustCompile(`^\s*(?:\??\.\s*([A-Za-z_][A-Za-z0-9_]*)|\??\.?\[\s*['"]([^'"]+)['"]\s*\])`)

// coalesceFix brackets the ?? that ends before src[at:], where expr
// refuses the operator that follows it: member.attrs.level ?? 0 > 2
// becomes (member.attrs.level ?? 0) > 2. It tries each place the bracket
// may open, nearest first, and keeps the first where what it brackets is
// a ?? and the rule then parses, up to a later mistake. It gives the
// whole rule when it parses and is short, else the bracketed part, or ""
// when no place works.
func (c *Compiler) coalesceFix(src string, at int) string {
	if at <= 0 || at > len(src) {
		return ""
	}
	end := len(strings.TrimRight(src[:at], " \t\r\n"))
	cfg := conf.CreateNew()
	for _, o := range c.funcOpts {
		o(cfg)
	}
	for i := end - 1; i >= 0; i-- {
		// A value starts after a space or an opening bracket, not
		// within a name or a path.
		if i > 0 && !strings.ContainsRune(" \t\r\n([{,!", rune(src[i-1])) || src[i] == ' ' {
			continue
		}
		inner := src[i:end]
		tree, err := parser.ParseWithConfig(inner, cfg)
		if err != nil {
			continue
		}
		if b, ok := tree.Node.(*ast.BinaryNode); !ok || b.Operator != "??" {
			continue
		}
		whole := src[:i] + "(" + inner + ")" + src[end:]
		if _, err := parser.ParseWithConfig(whole, cfg); err != nil {
			// Another mistake after this one: the bracketed part
			// alone, not a rule that still fails.
			var fe *file.Error
			if !errors.As(err, &fe) || runeToByte(whole, fe.From) <= at+2 {
				continue
			}
			return "(" + inner + ")"
		}
		if len(whole) <= 80 && !strings.Contains(whole, "\n") {
			return whole
		}
		return "(" + inner + ")"
	}
	return ""
}

// article is "An" before a vowel, else "A".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "An"
	}
	return "A"
}

func orRule(what string) string {
	if what == "" {
		return "rule"
	}
	return what
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

// DidYouMean suggests the candidate closest to name, if one is close.
func DidYouMean(name string, candidates []string) string {
	if c := Closest(name, candidates); c != "" {
		return fmt.Sprintf("Did you mean %q?", c)
	}
	return ""
}

// Closest is the candidate DidYouMean suggests for name, or "".
func Closest(name string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := levenshtein.Distance(name, c, nil)
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(2, len(name)/3)
	// A candidate that needs every character of a short name changed
	// ("zz" to "a") is not a typo of it.
	if best != "" && bestD <= limit && bestD > 0 && bestD < len(name) {
		return best
	}
	// A name with its suffix left off (joined for joined_at) is too far
	// for the distance, but there is only one way to read it.
	var longer []string
	for _, c := range candidates {
		if strings.HasPrefix(c, name+"_") {
			longer = append(longer, c)
		}
	}
	if len(longer) == 1 {
		return longer[0]
	}
	return ""
}
