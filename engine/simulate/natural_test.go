package simulate

import (
	"slices"
	"testing"
)

// Numeric ids sort by value, mixed ones by their digit runs' values, the
// rest as text; the order is total.
func TestCompareIDs(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"145", "2609", "263", "2", "1"}, []string{"1", "2", "145", "263", "2609"}},
		{[]string{"u10", "u9", "u100", "a2"}, []string{"a2", "u9", "u10", "u100"}},
		{[]string{"ann", "bob", "al"}, []string{"al", "ann", "bob"}},
		{[]string{"007", "7", "06"}, []string{"06", "007", "7"}},
		{[]string{"m1x", "m1", "m01"}, []string{"m01", "m1", "m1x"}},
	} {
		got := slices.Clone(c.in)
		slices.SortFunc(got, compareIDs)
		if !slices.Equal(got, c.want) {
			t.Errorf("%v sorted = %v; want %v", c.in, got, c.want)
		}
	}
}
