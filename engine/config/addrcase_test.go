package config_test

import (
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// A block name may start with a capital letter, so moved and import
// blocks take such addresses too: else a role "Mods" could never be
// imported or renamed.
func TestAddressesKeepTheirCase(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"community.hcl": `platform "local" "main" {}

community "Club" {
  title    = "Club"
  platform = platform.local.main
  role "Mods" {}
  channel "News" {}
}

moved {
  from = "community.Club.channel.Old"
  to   = "community.Club.channel.News"
}

import {
  to = community.Club.role.Mods
  id = "ro-1"
}
`,
	})
	cfg, _, diags := config.Load(dir, testOptions(nil))
	if diags.HasErrors() {
		t.Fatalf("want no errors, got:%s", describe(diags))
	}
	if len(cfg.Moved) != 1 || cfg.Moved[0].To != "community.Club.channel.News" {
		t.Errorf("moved: %+v", cfg.Moved)
	}
	if len(cfg.Imports) != 1 || cfg.Imports[0].To != "community.Club.role.Mods" {
		t.Errorf("imports: %+v", cfg.Imports)
	}
}
