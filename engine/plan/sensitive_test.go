package plan_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/plan"
)

// withSecret is base with a sensitive variable and a plain one, set by
// -var.
var withSecret = base + `
variable "token" {
  type      = string
  sensitive = true
}

variable "greeting" {
  type = string
}
`

// secretFixture loads withSecret with the token and greeting given.
func secretFixture(t *testing.T, token, greeting string) *fixture {
	t.Helper()
	f := newFixture(t, base)
	f.setVars(token, greeting)
	return f
}

func (f *fixture) setVars(token, greeting string) {
	f.t.Helper()
	f.vars = []string{"token=" + token, "greeting=" + greeting}
	f.write(withSecret)
}

// TestSensitiveCheck: a saved plan carries neither the configuration's
// whole hash nor a secret, and apply still refuses it when a sensitive
// variable's value changed since, saying so, apart from a change of a
// plain value.
func TestSensitiveCheck(t *testing.T) {
	const secret, other = "hunter22", "hunter23"
	f := secretFixture(t, secret, "hi")
	p := f.mustPlan()
	if p.FormatVersion != "1.7" || p.ConfigHash != f.cfg.Fingerprint || p.ConfigHash == f.cfg.Hash {
		t.Fatalf("format %s, config_hash %q: want the fingerprint %q", p.FormatVersion, p.ConfigHash, f.cfg.Fingerprint)
	}
	if !strings.HasPrefix(p.SensitiveCheck, "$argon2id$v=19$m=65536,t=1,p=2$") {
		t.Fatalf("sensitive_check %q", p.SensitiveCheck)
	}
	var b bytes.Buffer
	if err := p.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{f.cfg.Hash, secret} {
		if strings.Contains(b.String(), leak) {
			t.Fatalf("the plan file holds %q:\n%s", leak, b.String())
		}
	}
	if again := f.mustPlan(); again.SensitiveCheck == p.SensitiveCheck {
		t.Error("two plans have the same sensitive_check: the salt is not random")
	}
	saved, err := plan.Read(&b)
	if err != nil {
		t.Fatal(err)
	}

	// The token changed: refused, saying a sensitive value changed,
	// naming neither value.
	f.setVars(other, "hi")
	_, err = f.apply(saved)
	var mm *plan.ConfigMismatchError
	if !errors.Is(err, plan.ErrStale) || !errors.As(err, &mm) || !mm.Sensitive {
		t.Fatalf("the token changed: %v", err)
	}
	if want := "a sensitive variable's value changed since the plan was made"; !strings.Contains(err.Error(), want) {
		t.Fatalf("%q lacks %q", err, want)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), other) {
		t.Fatalf("the error shows a secret: %v", err)
	}

	// A plain value changed: the message it had.
	f.setVars(secret, "hello")
	if _, err = f.apply(saved); !errors.As(err, &mm) || mm.Sensitive || !strings.Contains(err.Error(), "same files, other variable values") {
		t.Fatalf("the greeting changed: %v", err)
	}

	// A check taken out of the plan does not let it through.
	f.setVars(secret, "hi")
	stripped := *saved
	stripped.SensitiveCheck = ""
	if _, err = f.apply(&stripped); !errors.As(err, &mm) || !mm.Sensitive {
		t.Fatalf("a plan without its sensitive_check: %v", err)
	}

	// As it was: the plan applies.
	f.mustApply(saved)
}

// TestSensitiveCheckRefusesOddChecks: a plan file comes from elsewhere;
// a sensitive_check hearth does not make, or one asking for more memory
// than a plan takes, is refused before any hashing.
func TestSensitiveCheckRefusesOddChecks(t *testing.T) {
	f := secretFixture(t, "hunter22", "hi")
	p := f.mustPlan()
	parts := strings.Split(p.SensitiveCheck, "$")
	salt, key := parts[4], parts[5]
	for _, check := range []string{
		"not a check",
		"$argon2i$v=19$m=65536,t=1,p=2$" + salt + "$" + key,
		"$argon2id$v=16$m=65536,t=1,p=2$" + salt + "$" + key,
		"$argon2id$v=19$m=4194304,t=1,p=2$" + salt + "$" + key,
		"$argon2id$v=19$m=65536,t=1000,p=2$" + salt + "$" + key,
		"$argon2id$v=19$m=65536,t=1,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=65536,t=1,p=2,x=1$" + salt + "$" + key,
		"$argon2id$v=19$m=65536,t=1,p=2$" + salt + "$" + key + "=",
		"$argon2id$v=19$m=65536,t=1,p=2$" + salt + "$AAAA",
	} {
		q := *p
		q.SensitiveCheck = check
		_, err := f.apply(&q)
		if err == nil || !strings.Contains(err.Error(), "sensitive_check is not one hearth makes") {
			t.Errorf("%s: %v", check, err)
		}
	}
}

// TestNoSensitiveNoCheck: without sensitive variables a plan has no
// sensitive_check, and its config_hash is the whole hash, which then
// holds no secret.
func TestNoSensitiveNoCheck(t *testing.T) {
	f := newFixture(t, base)
	p := f.mustPlan()
	var b bytes.Buffer
	if err := p.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if p.SensitiveCheck != "" || strings.Contains(b.String(), "sensitive_check") {
		t.Fatalf("a plan without sensitive variables has a check:\n%s", b.String())
	}
	f.mustApply(p)
}

// TestPlanBefore13: a plan saved by an earlier hearth has the whole hash
// as its config_hash and no sensitive_check; it still applies, checked
// against that hash, and is refused when a secret changed. A new plan
// relabelled as old does not skip the check.
func TestPlanBefore13(t *testing.T) {
	f := secretFixture(t, "hunter22", "hi")
	p := f.mustPlan()
	old := *p
	old.FormatVersion, old.ConfigHash, old.SensitiveCheck = "1.2", f.cfg.Hash, ""

	relabelled := *p
	relabelled.FormatVersion = "1.2"
	if _, err := f.apply(&relabelled); !errors.Is(err, plan.ErrStale) {
		t.Fatalf("a 1.3 plan relabelled 1.2: %v", err)
	}

	f.setVars("hunter23", "hi")
	if _, err := f.apply(&old); !errors.Is(err, plan.ErrStale) || !strings.Contains(err.Error(), "the configuration changed since the plan was made") {
		t.Fatalf("a 1.2 plan after the token changed: %v", err)
	}
	f.setVars("hunter22", "hi")
	f.mustApply(&old)
}

// TestDriftHasNoCheck: a drift report is never applied, so it has no
// sensitive_check to make, and its config_hash is the fingerprint.
func TestDriftHasNoCheck(t *testing.T) {
	f := secretFixture(t, "hunter22", "hi")
	d, err := plan.Drift(t.Context(), f.cfg, f.store, f.conns)
	if err != nil {
		t.Fatal(err)
	}
	if d.SensitiveCheck != "" || d.ConfigHash != f.cfg.Fingerprint {
		t.Fatalf("drift report: config_hash %q, sensitive_check %q", d.ConfigHash, d.SensitiveCheck)
	}
}
