package platform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// JSONValue is an attribute's value as a JSON reader expects it: a bool
// or int attribute as a JSON boolean or number, a list (a role's
// permissions) as an array of strings, anything else (and a value its
// format does not parse, which a reader should still see) as a string.
// Attrs stay strings inside hearth so one diff fits every kind; the types
// are only put back at the edge, in -json output.
func JSONValue(kind Kind, attr, v string) any {
	spec, ok := SpecOf(kind)
	if !ok {
		return v
	}
	a, ok := spec.Attr(attr)
	if !ok {
		return v
	}
	switch a.Format {
	case FormatBool:
		if v == "true" || v == "false" {
			return v == "true"
		}
	case FormatInt:
		// Only the plain spelling is a JSON number: ParseInt also takes
		// "+5" and "05", which JSON does not, and the document would not
		// write.
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && strconv.FormatInt(n, 10) == v {
			return json.Number(v)
		}
	case FormatList:
		// Only the form hearth writes (sorted, no spaces), so the array
		// joined back is the value itself.
		if c, err := canonicalList(v); err == nil && c == v {
			return append([]string{}, SplitList(v)...) // [] for none, not null
		}
	}
	return v
}

// JSONAttrs returns attrs with JSONValue's types, ready to marshal; nil
// stays nil (JSON null).
func JSONAttrs(kind Kind, attrs Attrs) map[string]any {
	if attrs == nil {
		return nil
	}
	out := make(map[string]any, len(attrs))
	for k, v := range attrs {
		out[k] = JSONValue(kind, k, v)
	}
	return out
}

// JSONAttrsOf reads attributes written by JSONAttrs back into strings.
// It also takes the all-string form hearth wrote before (a list as its
// names joined by ","), so older saved plans still read. JSON null is nil.
func JSONAttrsOf(data []byte) (Attrs, error) {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	out := make(Attrs, len(raw))
	for k, m := range raw {
		m = bytes.TrimSpace(m)
		switch {
		case len(m) == 0:
			return nil, fmt.Errorf("attribute %q has no value", k)
		case m[0] == '"':
			var s string
			if err := json.Unmarshal(m, &s); err != nil {
				return nil, fmt.Errorf("attribute %q: %w", k, err)
			}
			out[k] = s
		case string(m) == "true" || string(m) == "false":
			out[k] = string(m)
		case m[0] == '-' || m[0] >= '0' && m[0] <= '9':
			// Attribute numbers are integers; the text is kept as written,
			// since a float would round large ids.
			if _, err := strconv.ParseInt(string(m), 10, 64); err != nil {
				return nil, fmt.Errorf("attribute %q: %s is not an integer", k, m)
			}
			out[k] = string(m)
		case m[0] == '[':
			var items []string
			if err := json.Unmarshal(m, &items); err != nil {
				return nil, fmt.Errorf("attribute %q: %s is not a list of names", k, m)
			}
			for _, it := range items {
				// A list is kept as its names joined by ",": a name with
				// one, or none at all, would read back as other names.
				if it == "" || strings.Contains(it, ",") {
					return nil, fmt.Errorf("attribute %q: %q is not a name", k, it)
				}
			}
			out[k] = strings.Join(items, ",")
		case string(m) == "null":
			// No value: as if the key were missing (a pin's channel not
			// known before apply).
		default:
			return nil, fmt.Errorf("attribute %q: %s is not a string, number, boolean or list", k, m)
		}
	}
	return out, nil
}
