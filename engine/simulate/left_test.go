package simulate_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/simulate"
)

// Members who left keep their tier for when they come back, but the
// summary counts them on no tier, as they are in no segment: Left counts
// them apart, and one who came back is on their tier again.
func TestSummaryTiersLeaveOutMembersWhoLeft(t *testing.T) {
	cfg := loadConfigText(t, `
platform "local" "main" {}
community "c" {
  title    = "C"
  platform = platform.local.main
}
tier "member" {
  rank = 1
  when = "member.messages >= 1"
}
segment "posters" {
  community = community.c
  when      = "member.messages >= 1"
}
`)
	stream := `{"id":"j1","type":"member.joined","member":"ann","at":"2026-10-01T09:00:00Z"}
{"id":"j2","type":"member.joined","member":"bob","at":"2026-10-01T09:00:00Z"}
{"id":"j3","type":"member.joined","member":"cy","at":"2026-10-01T09:00:00Z"}
{"id":"j4","type":"member.joined","member":"di","at":"2026-10-01T09:00:00Z"}
{"id":"p1","type":"message.posted","member":"ann","at":"2026-10-02T09:00:00Z"}
{"id":"p2","type":"message.posted","member":"bob","at":"2026-10-02T09:00:00Z"}
{"id":"p3","type":"message.posted","member":"cy","at":"2026-10-02T09:00:00Z"}
{"id":"l1","type":"member.left","member":"bob","at":"2026-10-03T09:00:00Z"}
{"id":"l2","type":"member.left","member":"di","at":"2026-10-03T09:00:00Z"}
{"id":"l3","type":"member.left","member":"cy","at":"2026-10-03T09:00:00Z"}
{"id":"b3","type":"member.joined","member":"cy","at":"2026-10-04T09:00:00Z"}
`
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(stream), simulate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// ann and cy (back) post and are on the tier and in the segment; bob
	// (who posted) and di left; nobody present is on no tier.
	if sum.Members != 4 || sum.Left != 2 || sum.Tiers["member"] != 2 || sum.Tiers[""] != 0 || sum.Segments["posters"] != 2 {
		t.Errorf("members %d, left %d, tiers %v, segments %v; want 4 members, 2 left, 2 on member, 0 on none, 2 posters", sum.Members, sum.Left, sum.Tiers, sum.Segments)
	}
}
