package plan

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/hearth-community/hearth/engine/config"
)

// A plan's sensitive_check lets apply tell whether the values of the
// sensitive variables changed since the plan was made without the plan
// carrying anything a guess at a secret can be tested against quickly:
// config_hash leaves them out, and the check is Argon2id (RFC 9106) with
// a random salt per plan, so each guess at a token costs 64 MiB and as
// long as the check takes here. The parameters keep plan and apply fast
// (30-130 ms measured on a busy 2-core machine): 64 MiB, one pass, two
// lanes.
const (
	argonTime    = 1
	argonMemory  = 64 * 1024 // KiB
	argonThreads = 2
	argonSaltLen = 16
	argonKeyLen  = 32
)

// The limits a plan's own parameters must keep to: a plan file is read
// from elsewhere, and one asking for gigabytes must not take them.
const (
	maxArgonTime   = 10
	maxArgonMemory = 256 * 1024 // KiB
)

// sensitiveDomain starts what is hashed, so this hash is of nothing else.
const sensitiveDomain = "hearth plan sensitive_check\x00"

// sensitiveInput is the SHA-256 of cfg's sensitive variables, the
// password the check derives its key from; ok is false when there are
// none.
func sensitiveInput(cfg *config.Config) (sum []byte, ok bool) {
	h := sha256.New()
	h.Write([]byte(sensitiveDomain))
	if !cfg.HashSensitive(h) {
		return nil, false
	}
	return h.Sum(nil), true
}

// sensitiveCheck makes the check of cfg's sensitive values a new plan
// carries, in the PHC string format
// ($argon2id$v=19$m=65536,t=1,p=2$SALT$KEY); "" when cfg has none.
func sensitiveCheck(cfg *config.Config) string {
	in, ok := sensitiveInput(cfg)
	if !ok {
		return ""
	}
	salt := make([]byte, argonSaltLen)
	rand.Read(salt) // never fails (crypto/rand)
	key := argon2.IDKey(in, salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// errSensitiveChanged is what checkSensitive says when the values differ.
var errSensitiveChanged = errors.New("sensitive values differ")

// checkSensitive reports whether cfg's sensitive values are those a
// plan's check was made from: nil when they are, errSensitiveChanged
// when they are not, another error for a check it cannot read.
func checkSensitive(check string, cfg *config.Config) error {
	in, ok := sensitiveInput(cfg)
	switch {
	case check == "" && !ok:
		return nil
	case check == "" || !ok:
		// Sensitive variables declared or removed change the files,
		// so config_hash differs first; but a value set or unset is
		// also a change.
		return errSensitiveChanged
	}
	p, err := parseCheck(check)
	if err != nil {
		return err
	}
	key := argon2.IDKey(in, p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	if subtle.ConstantTimeCompare(key, p.key) != 1 {
		return errSensitiveChanged
	}
	return nil
}

// argonCheck is a parsed sensitive_check.
type argonCheck struct {
	time, memory uint32
	threads      uint8
	salt, key    []byte
}

// parseCheck reads a sensitive_check, refusing parameters beyond the
// limits.
func parseCheck(s string) (argonCheck, error) {
	var p argonCheck
	bad := func(why string) (argonCheck, error) {
		return argonCheck{}, fmt.Errorf("the plan's sensitive_check is not one hearth makes (%s)", why)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("not $argon2id$v=...$m=...,t=...,p=...$SALT$KEY")
	}
	if parts[1] != "argon2id" {
		return bad(fmt.Sprintf("algorithm %q", parts[1]))
	}
	if parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return bad(fmt.Sprintf("version %q", parts[2]))
	}
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &threads); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", p.memory, p.time, threads) != parts[3] {
		return bad(fmt.Sprintf("parameters %q", parts[3]))
	}
	if p.time < 1 || p.time > maxArgonTime || threads < 1 || threads > 255 || p.memory < 8*threads || p.memory > maxArgonMemory {
		return bad(fmt.Sprintf("parameters %q out of range", parts[3]))
	}
	p.threads = uint8(threads)
	var err error
	b64 := base64.RawStdEncoding.Strict()
	if p.salt, err = b64.DecodeString(parts[4]); err != nil || len(p.salt) < 8 || len(p.salt) > 64 {
		return bad("salt")
	}
	if p.key, err = b64.DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return bad("key")
	}
	return p, nil
}
