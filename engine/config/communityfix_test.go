package config_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/feishu"
)

// sub_title titles a capacity family's sub-communities; the default
// stays "TITLE N". A format without {n}, or with another placeholder,
// is refused at the attribute; one on a community that never splits is
// warned of.
func TestSubTitle(t *testing.T) {
	src := func(capacity int, subTitle string) string {
		attr := ""
		if subTitle != "" {
			attr = fmt.Sprintf("  sub_title = %q\n", subTitle)
		}
		return fmt.Sprintf(`
platform "local" "main" {}

community "makers" {
  title    = "创客群"
  platform = platform.local.main
  capacity = %d
%s}
`, capacity, attr)
	}
	cfg, diags := loadSrc(t, src(150, ""), testOptions(nil))
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	if got := cfg.Communities[0].PlaceTitle(2); got != "创客群 2" {
		t.Errorf("default title %q", got)
	}
	cfg, diags = loadSrc(t, src(150, "{title}{n}群"), testOptions(nil))
	if len(diags) > 0 {
		t.Fatal(describe(diags))
	}
	if got, first := cfg.Communities[0].PlaceTitle(3), cfg.Communities[0].PlaceTitle(1); got != "创客群3群" || first != "创客群" {
		t.Errorf("titles %q, %q", first, got)
	}
	for _, tc := range []struct {
		capacity  int
		sub, want string
	}{
		{150, "{title} 分群", "sub_title without {n}"},
		{150, "{titel} {n}", "Did you mean {title}?"},
		{0, "{title} {n}", "sub_title does nothing here"},
	} {
		_, diags := loadSrc(t, src(tc.capacity, tc.sub), testOptions(nil))
		if !strings.Contains(describe(diags), tc.want) {
			t.Errorf("sub_title %q: want %q in%s", tc.sub, tc.want, describe(diags))
		}
	}
}

// A channel block with an invalid name (公告) is one error: a robot's
// channel setting naming it is not reported again as an unknown channel.
func TestInvalidChannelNameOneError(t *testing.T) {
	opts := testOptions(nil)
	opts.Platforms["feishu"] = feishu.Spec()
	_, diags := loadSrc(t, `
platform "feishu" "g" {
  webhook_url = "https://open.feishu.cn/open-apis/bot/v2/hook/x"
  channel     = "公告"
}

community "c" {
  title    = "社区"
  platform = platform.feishu.g
  channel "公告" {}
  channel "news" {}
}
`, opts)
	got := describe(diags)
	if !strings.Contains(got, "Invalid channel name") || strings.Contains(got, "Unknown channel") {
		t.Errorf("want the invalid name alone:%s", got)
	}
}
