package config_test

import (
	"strings"
	"testing"

	"github.com/hearth-community/hearth/adapters/email"
	"github.com/hearth-community/hearth/adapters/local"
	"github.com/hearth-community/hearth/engine/config"
)

// An email send whose template has no subject, or that has no template,
// could only ever be dead-lettered ("an email needs a subject"), so
// validate refuses it at the send, naming the template and its line; one
// with a subject through an email platform is valid.
func TestEmailSendNeedsASubject(t *testing.T) {
	opts := config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec(), "email": email.Spec()}}
	const head = `
platform "local" "main" {}
platform "email" "news" {
  host = "smtp.example.org"
  from = "news@example.org"
}
community "c" {
  title    = "C"
  platform = platform.local.main
}
survey "pulse" {
  title = "Pulse"
  question "recommend" {
    text  = { en = "How likely are you to recommend us to a friend?" }
    score = true
  }
}
template "plain" {
  text = { en = "Hi" }
}
template "titled" {
  subject = { en = "Hello" }
  text    = { en = "Hi" }
}
`
	for _, tc := range []struct{ name, send, want string }{
		{"no subject", `template = template.plain`, `campaign "welcome" sends template "plain" by email, and it has no subject`},
		{"no template", `survey = survey.pulse`, `campaign "welcome" sends an email with no template`},
		{"subject", `template = template.titled`, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := loadSrc(t, head+`
campaign "welcome" {
  enter_on = "member.joined"
  step "hi" {
    send {
      channel  = "email"
      platform = platform.email.news
      `+tc.send+`
    }
  }
}
`, opts)
			if tc.want == "" {
				if diags.HasErrors() {
					t.Fatalf("unexpected diagnostics:%s", describe(diags))
				}
				return
			}
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.want) || !strings.Contains(diags.Error(), "Email without a subject") {
				t.Fatalf("want an error saying %q; got:%s", tc.want, describe(diags))
			}
		})
	}
}

// transactional = true lets an email reach members who unsubscribed; on
// any other send it would promise what an unsubscribe never takes away,
// so validate refuses it there, at the attribute.
func TestTransactionalIsForEmail(t *testing.T) {
	opts := config.Options{Platforms: map[string]config.PlatformSpec{"local": local.Spec(), "email": email.Spec()}}
	src := func(channel, platform string) string {
		return `
platform "local" "main" {}
platform "email" "news" {
  host = "smtp.example.org"
  from = "news@example.org"
}
community "c" {
  title    = "C"
  platform = platform.local.main
}
template "receipt" {
  subject = { en = "Your receipt" }
  text    = { en = "Thanks" }
}
campaign "orders" {
  enter_on = "purchase.made"
  step "receipt" {
    send {
      channel       = "` + channel + `"
      template      = template.receipt
      transactional = true
      ` + platform + `
    }
  }
}
`
	}
	cfg, diags := loadSrc(t, src("email", "platform = platform.email.news"), opts)
	if diags.HasErrors() {
		t.Fatalf("a transactional email:%s", describe(diags))
	}
	if st := cfg.Campaigns[0].Steps[0]; st.Send == nil || !st.Send.Transactional {
		t.Fatalf("transactional not decoded: %+v", st.Send)
	}
	_, diags = loadSrc(t, src("dm", ""), opts)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), `transactional without channel = "email"`) || !strings.Contains(diags.Error(), "main.hcl:21,") {
		t.Fatalf("a transactional direct message: want an error at line 21; got:%s", describe(diags))
	}
	// A transactional send goes whenever it is due: not_after would
	// never drop it.
	_, diags = loadSrc(t, src("email", "platform = platform.email.news\n      not_after = \"now\""), opts)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "not_after with transactional") || !strings.Contains(diags.Error(), "main.hcl:23,") {
		t.Fatalf("a transactional email with not_after: want an error at line 23; got:%s", describe(diags))
	}
}
