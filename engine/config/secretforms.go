package config

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// minSecretPart is the shortest path segment or query value of a secret
// URL that is redacted on its own: shorter ones ("v2", "send") are words
// that every text has.
const minSecretPart = 8

// maxWordRun is the longest run of lowercase letters still taken for a
// word in a URL part; a longer run is a token spelled in lowercase.
const maxWordRun = 20

// SecretForms are the texts that show secret s, or enough of it to
// matter, each minSecret bytes or longer: s itself, its URL-escaped
// forms and, for every one of these, the JSON-escaped forms receivers
// and proxies answer with ("\\/", "\\u0026"). When s is a URL (a Slack or
// Feishu incoming webhook, the whole of which is the credential), so are
// the parts of it a receiver's error page echoes alone: the path and
// query, the path, path segments and query values that look like
// tokens, and the password of its user information. Words such as
// "/services", the scheme and the host stay: a text needs them to be
// read, and they give nothing away unless they are the whole secret.
func SecretForms(s string) []string {
	parts := append([]string{s, url.PathEscape(s), url.QueryEscape(s)}, urlParts(s)...)
	seen := map[string]bool{}
	var out []string
	for _, p := range parts {
		for _, f := range append([]string{p}, jsonForms(p)...) {
			if len(f) >= minSecret && !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// urlParts are the parts of s, when it is an absolute URL, that hold
// its secret without the rest: each as sent (escaped) and as a server
// decodes it.
func urlParts(s string) []string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil
	}
	var out []string
	both := func(escaped, decoded string) {
		out = append(out, escaped)
		if decoded != escaped {
			out = append(out, decoded)
		}
	}
	path := u.EscapedPath()
	var segs []string
	tokenSeg := false
	for _, seg := range strings.Split(path, "/") {
		if seg == "" {
			continue
		}
		segs = append(segs, seg)
		dec, err := url.PathUnescape(seg)
		if err != nil {
			dec = seg
		}
		if tokenLike(dec) {
			tokenSeg = true
			both(seg, dec)
		}
	}
	// A path of one word ("/services", "/api") is left: it says nothing
	// and is in many texts. Two segments or more, or one that looks like
	// a token, make it the receiver's own.
	if tokenSeg || len(segs) > 1 {
		both(path, u.Path)
		both(strings.TrimPrefix(path, "/"), strings.TrimPrefix(u.Path, "/"))
	}
	tokenValue := false
	for _, kv := range strings.Split(u.RawQuery, "&") {
		_, raw, _ := strings.Cut(kv, "=")
		dec, err := url.QueryUnescape(raw)
		if err != nil {
			dec = raw
		}
		if tokenLike(dec) {
			tokenValue = true
			both(raw, dec)
		}
	}
	// The path and query as a request line or access log has them, when
	// either holds a secret ("/db?sslmode=disable" of a database URL does
	// not: its secret is the password).
	if u.RawQuery != "" && (tokenSeg || len(segs) > 1 || tokenValue) {
		both(path+"?"+u.RawQuery, u.Path+"?"+u.RawQuery)
	}
	if pw, ok := u.User.Password(); ok {
		userinfo := u.User.String() // escaped as in the URL: "name:pa%40ss"
		_, escaped, _ := strings.Cut(userinfo, ":")
		both(escaped, pw)
		both(userinfo, u.User.Username()+":"+pw)
	}
	return out
}

// tokenLike reports whether a URL part is long enough and unlike a word
// to be redacted alone: "URLSEKRETpart", "3f9a1c0e", a lowercase run
// longer than maxWordRun; not "services", "open-apis" or "webhooks".
func tokenLike(s string) bool {
	if len(s) < minSecretPart {
		return false
	}
	run := 0
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			run++
			if run > maxWordRun {
				return true
			}
		case r == '-' || r == '_' || r == '.' || r == '~':
			run = 0
		default:
			return true
		}
	}
	return false
}

// jsonStyle is how one JSON encoder writes a string.
type jsonStyle struct {
	escape   string // ASCII characters written as \\u00XX
	nonASCII bool   // every rune beyond ASCII as \\uXXXX
	upper    bool   // hex digits in upper case
	lineSep  bool   // U+2028 and U+2029 as \\u2028, \\u2029
}

// jsonStyles are the encoders whose output a receiver's answer is
// likely to be: each is also tried with "/" written as "\\/" (PHP's
// json_encode, many Java and Ruby servers).
var jsonStyles = []jsonStyle{
	{escape: "<>&", lineSep: true}, // Go's encoding/json
	{},                             // the least a JSON encoder escapes
	{nonASCII: true},               // Python's json.dumps, PHP's json_encode
	{escape: "<>&'+`\"", nonASCII: true, upper: true}, // .NET's System.Text.Json
}

// jsonForms are s as it reads inside a JSON string, written by the
// common encoders, when that differs from s.
func jsonForms(s string) []string {
	var out []string
	for _, st := range jsonStyles {
		q := st.quote(s)
		for _, f := range []string{q, strings.ReplaceAll(q, "/", `\/`)} {
			if f != s {
				out = append(out, f)
			}
		}
	}
	return out
}

// quote writes s as the inside of a JSON string in style st.
func (st jsonStyle) quote(s string) string {
	hex := "\\u%04x"
	if st.upper {
		hex = "\\u%04X"
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && strings.ContainsRune(st.escape, r):
			fmt.Fprintf(&b, hex, r)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(&b, hex, r)
		case (r == '\u2028' || r == '\u2029') && (st.lineSep || st.nonASCII):
			fmt.Fprintf(&b, hex, r)
		case r >= utf8.RuneSelf && st.nonASCII:
			if r > 0xFFFF {
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(&b, hex+hex, r1, r2)
			} else {
				fmt.Fprintf(&b, hex, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
