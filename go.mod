module github.com/hearth-community/hearth

go 1.26.8

require (
	github.com/agext/levenshtein v1.2.1
	github.com/expr-lang/expr v1.17.8
)
