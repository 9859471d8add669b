package telegram

import "testing"

// The authors kept are bounded: past authorsMax messages the oldest
// are forgotten, and the newest kept.
func TestAuthorsBounded(t *testing.T) {
	var a authors
	for i := range authorsMax + 10 {
		a.add(-100, i, int64(i%7)+1)
	}
	if len(a.by) != authorsMax {
		t.Errorf("%d authors kept; want %d", len(a.by), authorsMax)
	}
	if _, ok := a.author(-100, 9); ok {
		t.Error("the 10th message's author is still kept")
	}
	if u, ok := a.author(-100, authorsMax+9); !ok || u != int64((authorsMax+9)%7)+1 {
		t.Errorf("the newest message's author %d, %v", u, ok)
	}
	if _, ok := a.author(-200, authorsMax+9); ok {
		t.Error("another chat's message of the same id has an author")
	}
	var none *authors
	none.add(-100, 1, 1)
	if _, ok := none.author(-100, 1); ok {
		t.Error("a nil authors remembers")
	}
}
