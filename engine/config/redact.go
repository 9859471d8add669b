package config

import (
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Redacted is what a sensitive value is replaced with in text.
const Redacted = "(sensitive)"

// minSecret is the shortest value Redact replaces: a sensitive "no" or
// "1" would otherwise take every such word out of every message.
const minSecret = 4

// SensitiveValues are the values the configuration must never show: the
// values of sensitive variables and of platform settings marked
// sensitive (credentials, and any setting computed from a sensitive
// variable, such as a URL with a token in it), as text, longest first;
// with each its escaped forms and, for a URL, the parts of it a
// receiver may echo alone (SecretForms).
func (c *Config) SensitiveValues() []string {
	seen := map[string]bool{}
	var out []string
	add := func(v cty.Value) {
		v, _ = v.UnmarkDeep()
		walkStrings(v, func(s string) {
			for _, form := range SecretForms(s) {
				if !seen[form] {
					seen[form] = true
					out = append(out, form)
				}
			}
		})
	}
	for _, v := range c.Variables {
		if v.Sensitive || v.Value.ContainsMarked() {
			add(v.Value)
		}
	}
	for _, p := range c.Platforms {
		for _, v := range p.Settings {
			if v.ContainsMarked() {
				add(v)
			}
		}
	}
	if u := c.Settings.State.URL; u != cty.NilVal && u.ContainsMarked() {
		add(u)
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// walkStrings calls fn with every known string, number or bool in v.
func walkStrings(v cty.Value, fn func(string)) {
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() {
		return
	}
	t := v.Type()
	switch {
	case t == cty.String:
		fn(v.AsString())
	case t == cty.Number:
		// Both forms: the exact text, and the short one strings
		// interpolating the number hold (NumberText).
		fn(v.AsBigFloat().Text('f', -1))
		if short := NumberText(v.AsBigFloat()); short != v.AsBigFloat().Text('f', -1) {
			fn(short)
		}
	case t.IsListType() || t.IsSetType() || t.IsTupleType() || t.IsMapType() || t.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			walkStrings(e, fn)
		}
	}
}

// Redact replaces every sensitive value of the configuration in s with
// "(sensitive)": for error texts that come from outside (a platform's
// error page echoing the URL it was called at) before they are stored,
// logged or served. A value cut short where a text was shortened ("…")
// is taken out too. To redact many texts, make a Redactor once.
func (c *Config) Redact(s string) string {
	if c == nil {
		return s
	}
	return c.Redactor().Redact(s)
}

// Redactor redacts texts for one configuration, built once.
func (c *Config) Redactor() *Redactor { return NewRedactor(c.SensitiveValues()) }

// Redactor replaces secret values in texts with "(sensitive)".
type Redactor struct {
	secrets []string
	r       *strings.Replacer
}

// NewRedactor redacts secrets; longer ones should come first, so that a
// URL holding a token is replaced whole.
func NewRedactor(secrets []string) *Redactor {
	pairs := make([]string, 0, 2*len(secrets))
	for _, v := range secrets {
		pairs = append(pairs, v, Redacted)
	}
	return &Redactor{secrets: secrets, r: strings.NewReplacer(pairs...)}
}

// Redact replaces each secret in s with "(sensitive)", and the start of
// one that s cuts off with "…". A nil Redactor changes nothing.
func (rd *Redactor) Redact(s string) string {
	if rd == nil || len(rd.secrets) == 0 || s == "" {
		return s
	}
	s = rd.r.Replace(s)
	if !strings.Contains(s, "…") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "…")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		head := s[:i]
		for _, v := range rd.secrets {
			if k := cutPrefix(head, v); k > 0 {
				head = head[:len(head)-k] + Redacted
				break
			}
		}
		b.WriteString(head)
		b.WriteString("…")
		s = s[i+len("…"):]
	}
}

// cutPrefix is the length of the longest start of secret (minSecret
// bytes or more, short of all of it) that head ends with; 0 when none.
func cutPrefix(head, secret string) int {
	for k := min(len(secret)-1, len(head)); k >= minSecret; k-- {
		if strings.HasSuffix(head, secret[:k]) {
			return k
		}
	}
	return 0
}
