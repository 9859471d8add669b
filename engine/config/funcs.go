package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/hearth-community/hearth/engine/durations"
)

// maxFileSize bounds what file() reads.
const maxFileSize = 4 << 20

// FuncDoc describes one HCL function for `hearth explain`.
type FuncDoc struct {
	Name string
	Doc  string
}

// lengthFunc is the length of a list, map, set or tuple, or, as in
// Terraform, of a string in characters: validation conditions such as
// length(var.token) > 20 are what Terraform users write.
var lengthFunc = function.New(&function.Spec{
	Description: "The number of elements of a list, map, set or tuple, or of characters in a string.",
	Params:      []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowDynamicType: true}},
	Type:        function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if args[0].Type() == cty.String {
			return stdlib.Strlen(args[0])
		}
		return stdlib.Length(args[0])
	},
})

// hclFunctions are the functions available in HCL expressions (not in
// rules): go-cty's standard library plus env, file and duration.
// read, when set, is told of each file file() reads, by the path as
// written, with its contents: what the configuration depends on besides
// its own files (Config.ReadFiles).
func hclFunctions(dir string, lookupEnv func(string) (string, bool), read func(path string, data []byte)) map[string]function.Function {
	f := map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc,
		"max": stdlib.MaxFunc, "min": stdlib.MinFunc, "pow": stdlib.PowFunc, "log": stdlib.LogFunc,
		"signum": stdlib.SignumFunc, "parseint": stdlib.ParseIntFunc,
		"chomp": stdlib.ChompFunc, "format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
		"indent": stdlib.IndentFunc, "join": stdlib.JoinFunc, "lower": stdlib.LowerFunc,
		"upper": stdlib.UpperFunc, "replace": stdlib.ReplaceFunc, "split": stdlib.SplitFunc,
		"strrev": stdlib.ReverseFunc, "substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc,
		"trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc, "trimsuffix": stdlib.TrimSuffixFunc,
		"trimspace": stdlib.TrimSpaceFunc, "regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc,
		"regex_replace": stdlib.RegexReplaceFunc, "strlen": stdlib.StrlenFunc,
		"concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc, "distinct": stdlib.DistinctFunc,
		"element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc, "keys": stdlib.KeysFunc,
		"length": lengthFunc, "lookup": stdlib.LookupFunc, "merge": stdlib.MergeFunc,
		"range": stdlib.RangeFunc, "reverse": stdlib.ReverseListFunc, "setunion": stdlib.SetUnionFunc,
		"slice": stdlib.SliceFunc, "sort": stdlib.SortFunc, "values": stdlib.ValuesFunc,
		"zipmap": stdlib.ZipmapFunc, "coalesce": stdlib.CoalesceFunc, "coalescelist": stdlib.CoalesceListFunc,
		"compact": stdlib.CompactFunc, "chunklist": stdlib.ChunklistFunc,
		"jsonencode": stdlib.JSONEncodeFunc, "jsondecode": stdlib.JSONDecodeFunc, "csvdecode": stdlib.CSVDecodeFunc,
		"formatdate": stdlib.FormatDateFunc, "timeadd": stdlib.TimeAddFunc,
		"tostring": stdlib.MakeToFunc(cty.String), "tonumber": stdlib.MakeToFunc(cty.Number),
		"tobool": stdlib.MakeToFunc(cty.Bool), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
	}
	// Outside a message there is no member: UTC. The template renderer
	// binds it to each member's zone (LocalDateFunc).
	f[LocalDate] = LocalDateFunc(time.UTC)
	f["env"] = function.New(&function.Spec{
		Description: "Value of an environment variable; a second argument is the default when unset.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam:    &function.Parameter{Name: "default", Type: cty.String},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if v, ok := lookupEnv(args[0].AsString()); ok {
				return cty.StringVal(v), nil
			}
			if len(args) > 1 {
				return args[1], nil
			}
			return cty.NilVal, fmt.Errorf("environment variable %q is not set; give a default as env(%q, \"...\")", args[0].AsString(), args[0].AsString())
		},
	})
	f["file"] = function.New(&function.Spec{
		Description: "Contents of a UTF-8 text file of at most 4 MiB, relative to the configuration directory.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			// Only regular files of sane size: file("/dev/stdin") or a
			// device would block or exhaust memory in validate.
			fi, err := os.Stat(p)
			if err == nil && !fi.Mode().IsRegular() {
				err = fmt.Errorf("not a regular file")
			} else if err == nil && fi.Size() > maxFileSize {
				err = fmt.Errorf("larger than %d MiB", maxFileSize>>20)
			}
			var b []byte
			if err == nil {
				b, err = os.ReadFile(p)
			}
			if err != nil {
				// The path as written, not the absolute one os reports.
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err
				}
				return cty.NilVal, fmt.Errorf("cannot read %s: %w", args[0].AsString(), err)
			}
			if !utf8.Valid(b) {
				return cty.NilVal, fmt.Errorf("%s is not UTF-8 text", args[0].AsString())
			}
			if read != nil {
				read(args[0].AsString(), b)
			}
			return cty.StringVal(string(b)), nil
		},
	})
	f["duration"] = function.New(&function.Spec{
		Description: "Seconds in a duration such as \"14d\", for arithmetic.",
		Params:      []function.Parameter{{Name: "duration", Type: cty.String}},
		Type:        function.StaticReturnType(cty.Number),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			d, err := durations.Parse(args[0].AsString())
			if err != nil {
				return cty.NilVal, err
			}
			return cty.NumberIntVal(int64(d.Seconds())), nil
		},
	})
	return f
}

// LocalDate is the name of the function that formats a time in the
// member's time zone.
const LocalDate = "localdate"

// TemplateNow is the name a template reads the time of its send by:
// RFC 3339 text in UTC, the event time the send's step came due (or the
// decision or alert was made), so localdate(spec, now) shows it on the
// member's clock.
const TemplateNow = "now"

// TemplateTiers and TemplateBadges are the names templates read the
// configuration's tiers and badges by, each a map by name, so a level-up
// announcement can say the tier's title: ${tiers[event.to].title}.
const (
	TemplateTiers  = "tiers"
	TemplateBadges = "badges"
)

// MemberMention is the field of member only templates have: the text
// that mentions the member on the platform the message goes through
// (PlatformSpec.Mention), else their name.
const MemberMention = "mention"

// TiersValue is what templates read as tiers: by tier name, its name,
// title (the name when it has none), description and rank.
func TiersValue(tiers []*Tier) cty.Value {
	out := make(map[string]cty.Value, len(tiers))
	for _, t := range tiers {
		out[t.Name] = cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(t.Name), "title": cty.StringVal(t.Title),
			"description": cty.StringVal(t.Description), "rank": cty.NumberIntVal(int64(t.Rank))})
	}
	return cty.ObjectVal(out)
}

// BadgesValue is what templates read as badges: by badge name, its name,
// title (the name when it has none), description and class.
func BadgesValue(badges []*Badge) cty.Value {
	out := make(map[string]cty.Value, len(badges))
	for _, b := range badges {
		out[b.Name] = cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(b.Name), "title": cty.StringVal(b.Title),
			"description": cty.StringVal(b.Description), "class": cty.StringVal(b.Class)})
	}
	return cty.ObjectVal(out)
}

// LocalDateFunc is localdate(spec, timestamp): formatdate's spec and
// timestamp (RFC 3339, as templates give every time), with the time
// shown in loc, so "hh:mm" is the member's clock, not UTC's. A message
// renders it with the member's zone (or the configuration's timezone,
// for a member with none); anywhere else it is UTC.
func LocalDateFunc(loc *time.Location) function.Function {
	return function.New(&function.Spec{
		Description: "formatdate(spec, timestamp) in the member's time zone: in a message, the time as the member's clock shows it (their timezone, else the configuration's timezone, else UTC), such as localdate(\"EEE D MMM, hh:mm\", event.starts_at) for \"Fri 6 Mar, 19:00\", or localdate(\"EEE D MMM hh:mm\", now) for the time of the send (a template's now); outside one, in UTC. The spec is formatdate's: YYYY, MM, MMM, MMMM, D, DD, EEE, EEEE, hh and h for the 24-hour clock, HH and H with AA or aa for the 12-hour one, mm, ss, ZZZZ for the offset, 'quoted literal text'. A timestamp that is not RFC 3339 (an empty one, say) is an error, and the message is not sent.",
		Params:      []function.Parameter{{Name: "spec", Type: cty.String}, {Name: "timestamp", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			ts := args[1].AsString()
			t, err := time.Parse(time.RFC3339, ts)
			if err != nil {
				return cty.NilVal, fmt.Errorf("not an RFC 3339 timestamp: %q", ts)
			}
			return stdlib.FormatDate(args[0], cty.StringVal(t.In(loc).Format(time.RFC3339)))
		},
	})
}

// HCLFunctionDocs lists the HCL functions with their descriptions, for
// `hearth explain functions`.
func HCLFunctionDocs() []FuncDoc {
	fs := hclFunctions(".", func(string) (string, bool) { return "", false }, nil)
	out := make([]FuncDoc, 0, len(fs))
	for name, fn := range fs {
		var params []string
		for _, p := range fn.Params() {
			params = append(params, p.Name)
		}
		if vp := fn.VarParam(); vp != nil {
			params = append(params, vp.Name+"...")
		}
		doc := fn.Description()
		out = append(out, FuncDoc{Name: name + "(" + strings.Join(params, ", ") + ")", Doc: doc})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
