package main

import (
	"encoding/json"
	"io"
)

// jsonEncoder is json.NewEncoder for what hearth prints: rules, their
// sources and diagnostics' code lines hold >=, && and <, which Go's
// default HTML escaping would print as \u003e= and \u0026\u0026 for a
// reader of -json output and jq's -r alike. Nothing hearth prints as
// JSON goes into an HTML page unescaped.
func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}
