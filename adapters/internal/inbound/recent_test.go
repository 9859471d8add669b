package inbound

import (
	"strconv"
	"testing"
)

func TestRecent(t *testing.T) {
	var r Recent
	if r.Has("a") {
		t.Error("empty Recent has a")
	}
	r.Add("a")
	if !r.Has("a") {
		t.Error("a not remembered")
	}
	for i := range recentMax {
		r.Add(strconv.Itoa(i))
	}
	if r.Has("a") || !r.Has("0") || !r.Has(strconv.Itoa(recentMax-1)) {
		t.Error("the oldest id must be forgotten first, and only it")
	}
}
