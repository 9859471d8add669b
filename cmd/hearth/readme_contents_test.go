package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every ## and ### heading of the README is linked from its Contents,
// each ### on the line of the ## it sits under, so a section added
// without a Contents entry cannot hide.
func TestReadmeContentsListsEveryHeading(t *testing.T) {
	src, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, contents, ok := strings.Cut(string(src), "\n## Contents\n")
	if !ok {
		t.Fatal("the README has no ## Contents")
	}
	contents, _, _ = strings.Cut(contents, "\n## ")
	// The Contents line of each ## heading, by the anchor of that heading.
	lines := map[string]string{}
	for _, line := range strings.Split(contents, "\n") {
		if m := regexp.MustCompile(`^- \*\*\[[^\]]+\]\(#([^)]+)\)\*\*`).FindStringSubmatch(line); m != nil {
			lines[m[1]] = line
		}
	}
	drop := regexp.MustCompile(`[^\p{L}\p{N}_ -]`)
	anchor := func(title string) string {
		return strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(title), ""), " ", "-")
	}
	inCode, parent, checked := false, "", 0
	for _, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inCode = !inCode
			continue
		}
		switch {
		case inCode:
		case strings.HasPrefix(line, "## ") && line != "## Contents":
			parent = anchor(strings.TrimPrefix(line, "## "))
			checked++
			if _, ok := lines[parent]; !ok {
				t.Errorf("Contents has no line for %q", line)
			}
		case strings.HasPrefix(line, "### "):
			checked++
			a := anchor(strings.TrimPrefix(line, "### "))
			if !strings.Contains(lines[parent], "](#"+a+")") {
				t.Errorf("Contents' line for #%s does not link %q (#%s)", parent, line, a)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d headings found; has the README's form changed?", checked)
	}
}
