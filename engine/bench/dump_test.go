package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/state"
)

func TestDumpMember(t *testing.T) {
	cfg, _, diags := config.Load("../../examples/stackexchange", config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	evs := Workload(20000, 200000, 1)
	s := state.NewMemory()
	if _, _, err := applyAll(context.Background(), cfg, s, evs, 1000, false); err != nil {
		t.Fatal(err)
	}
	n, total := 0, 0
	var big *state.Member
	_ = s.Members(context.Background(), func(m *state.Member) error {
		b, _ := json.Marshal(m)
		total += len(b)
		n++
		if n == 500 {
			big = m
		}
		return nil
	})
	b, _ := json.MarshalIndent(big, "", " ")
	fmt.Println(total/n, string(b))
}
