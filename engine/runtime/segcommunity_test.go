package runtime_test

import (
	"slices"
	"testing"
)

const segCommunitySrc = `
platform "local" "fs" {}
platform "local" "wc" {}

community "feishu" {
  title    = "飞书群"
  platform = platform.local.fs
}

community "wecom" {
  title    = "企业微信群"
  platform = platform.local.wc
  capacity = 2
}

segment "feishu_people" {
  community = community.feishu
  when      = "member.messages >= 0"
}

segment "wecom_people" {
  community = community.wecom
  when      = "member.messages >= 0"
}

segment "everyone" {
  when = "member.messages >= 0"
}
`

func segmentsOf(f *familyRun, id string) []string {
	var out []string
	for s := range f.member(id).Segments {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// A segment with community = community.NAME holds only the members whose
// joins named that community (or one of its sub-communities), until they
// leave it; a member whose joins named none is in every one.
func TestSegmentCommunityLimit(t *testing.T) {
	cfg := loadDir(t, t.TempDir(), segCommunitySrc)
	f := newFamilyRun(t, cfg, "feishu", "wecom", "wecom-2")
	f.event("member.joined", "ann", "feishu")
	f.event("member.joined", "bo", "wecom")
	f.event("member.joined", "cy", "wecom-2") // a sub-community: its family's
	f.event("member.joined", "di", "")        // no community: every one
	want := map[string][]string{
		"ann": {"everyone", "feishu_people"},
		"bo":  {"everyone", "wecom_people"},
		"cy":  {"everyone", "wecom_people"},
		"di":  {"everyone", "feishu_people", "wecom_people"},
	}
	for id, w := range want {
		if got := segmentsOf(f, id); !slices.Equal(got, w) {
			t.Errorf("%s: segments %v, want %v", id, got, w)
		}
	}
	// Joining a second community puts ann in its segments too; leaving
	// it takes her out of them.
	f.event("member.joined", "ann", "wecom")
	if got := segmentsOf(f, "ann"); !slices.Equal(got, []string{"everyone", "feishu_people", "wecom_people"}) {
		t.Fatalf("ann after joining wecom: %v", got)
	}
	if m := f.member("ann"); !f.rt.InCommunity(m, cfg.Communities[1]) {
		t.Fatalf("InCommunity(ann, wecom) = false; places %v", m.Places)
	}
	f.event("message.posted", "bo", "wecom")
	if got := segmentsOf(f, "bo"); !slices.Equal(got, []string{"everyone", "wecom_people"}) {
		t.Fatalf("bo after posting: %v", got)
	}
	// The preview (the plan's member impact) takes a member wrongly
	// stored in another community's segment (a state from before the
	// limit was kept) out of it.
	m := f.member("bo")
	m.Segments["feishu_people"] = f.at
	st, err := f.rt.Preview(m, f.at)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(st.Segments, "feishu_people") {
		t.Fatalf("preview puts bo in feishu_people: %v", st.Segments)
	}
}

// attrs.community scopes an event as the top-level field does.
func TestSegmentCommunityFromAttrs(t *testing.T) {
	cfg := loadDir(t, t.TempDir(), segCommunitySrc)
	f := newFamilyRun(t, cfg, "feishu", "wecom")
	f.attrs = map[string]any{"community": "wecom"}
	f.event("member.joined", "bo", "")
	if got := segmentsOf(f, "bo"); !slices.Equal(got, []string{"everyone", "wecom_people"}) {
		t.Fatalf("bo: %v", got)
	}
}
