package config_test

import (
	"reflect"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
)

// Segments written for members who left are those whose rule reads
// member.left, left_at or days_since_left, or reads one with in_segment;
// steps only some arms of a split reach are on those arms.
func TestSegmentsForLeftAndStepVariants(t *testing.T) {
	cfg, diags := loadSrc(t, `
platform "local" "main" {}
community "c" {
  title    = "C"
  platform = platform.local.main
}
segment "lurkers" {
  when = "member.messages == 0"
}
segment "lapsed" {
  when = "member.left && member.days_since_left >= 30"
}
segment "lapsed_lurkers" {
  when = "in_segment('lapsed') && in_segment('lurkers')"
}
segment "returned" {
  when = "!member.left_at.IsZero()"
}
template "hi" {
  text = { en = "Hi" }
}
campaign "re" {
  enter_on = "member.joined"
  step "pick" {
    split {
      variant "a" {
        weight = 50
        goto   = "only_a"
      }
      variant "b" {
        weight = 50
        goto   = "only_b"
      }
    }
  }
  step "only_a" {
    send {
      channel  = "dm"
      template = template.hi
    }
    goto = "both"
  }
  step "only_b" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
  step "both" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
`, testOptions(nil))
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	got := config.SegmentsForLeft(cfg.Segments)
	want := map[string]bool{"lapsed": true, "lapsed_lurkers": true, "returned": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SegmentsForLeft = %v, want %v", got, want)
	}
	steps := cfg.Campaigns[0].StepVariants()
	wantSteps := map[string][]string{"only_a": {"a"}, "only_b": {"b"}}
	if !reflect.DeepEqual(steps, wantSteps) {
		t.Errorf("StepVariants = %v, want %v", steps, wantSteps)
	}
}
