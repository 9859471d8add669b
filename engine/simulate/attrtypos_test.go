package simulate_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/simulate"
)

// Attributes that look like a typo of one their type declares, which
// the event lacks, are counted in range, the most events first; an
// exact attribute, one far from all, one beside its declared twin and
// the profile's are not.
func TestSummaryAttrTypos(t *testing.T) {
	cfg, _, diags := config.Load("../../examples/quickstart", config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec()}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	stream := `{"id":"e1","type":"member.joined","member":"u1","at":"2026-10-01T10:00:00Z","attrs":{"refferer":"u9"}}
{"id":"e2","type":"message.posted","member":"u1","at":"2026-10-02T10:00:00Z","attrs":{"chanel":"help"}}
{"id":"e3","type":"message.posted","member":"u1","at":"2026-10-03T10:00:00Z","attrs":{"chanel":"help","colour":"red"}}
{"id":"e4","type":"message.posted","member":"u1","at":"2026-10-04T10:00:00Z","attrs":{"chanel":"help","channel":"help"}}
{"id":"e5","type":"member.profile_updated","member":"u1","at":"2026-10-05T10:00:00Z","attrs":{"nme":"Ann"}}
{"id":"e6","type":"message.posted","member":"u1","at":"2026-12-01T10:00:00Z","attrs":{"chanel":"help"}}
`
	for _, c := range []struct {
		name string
		opt  simulate.Options
		want string
	}{
		{"all", simulate.Options{}, "[{message.posted chanel channel 3} {member.joined refferer referrer 1}]"},
		{"in range", simulate.Options{To: time.Date(2026, 10, 10, 0, 0, 0, 0, time.UTC)}, "[{message.posted chanel channel 2} {member.joined refferer referrer 1}]"},
	} {
		sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(stream), c.opt)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(sum.AttrTypos); got != c.want {
			t.Errorf("%s: %s; want %s", c.name, got, c.want)
		}
	}
}
