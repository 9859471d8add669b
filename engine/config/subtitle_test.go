package config_test

import (
	"fmt"
	"strings"
	"testing"
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
