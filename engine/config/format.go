package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// FormatResult carries the parsed file with the diagnostics, so a caller
// can print snippets.
type FormatResult struct {
	File        *hcl.File
	Diagnostics hcl.Diagnostics
}

// HasErrors reports whether the source could not be parsed.
func (r FormatResult) HasErrors() bool { return r.Diagnostics.HasErrors() }

// Format returns src in canonical style. Source with syntax errors is
// returned unchanged with the errors, because formatting a broken file
// can move text in surprising ways.
func Format(src []byte, filename string) ([]byte, FormatResult) {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return src, FormatResult{File: f, Diagnostics: diags}
	}
	return hclwrite.Format(src), FormatResult{File: f}
}
