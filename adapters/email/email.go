// Package email is hearth's email platform: campaigns' send { channel =
// "email" } goes out over SMTP.
//
// A Conn is a platform.Mailer. Each message is multipart/alternative with
// the template's text and, when the template has one, its HTML; it
// carries List-Unsubscribe (an HTTPS link, a mailto: address or both) and,
// with an HTTPS link, List-Unsubscribe-Post for one-click unsubscribe
// (RFC 8058), except a transactional message, which goes to members who
// unsubscribed too; `hearth run` answers that link (see RespondInbound). Its
// Message-ID is derived from the action's idempotency key, so a message
// resent after a crash is recognisably the same one.
//
// The connection uses STARTTLS (security = "starttls", port 587, the
// default) or implicit TLS (security = "tls", port 465); "none" is for a
// relay on loopback only. With a username it authenticates with the best
// mechanism the server offers over the encrypted connection; on a
// loopback relay ("none") PLAIN and LOGIN too, after the challenge ones.
//
// SMTP cannot tell a repeat from a new message, so a Conn remembers the
// keys it sent (the most recent maxKeys) and answers a repeat as a
// duplicate; across restarts the outbox itself sends each action once,
// and the stable Message-ID covers the crash between the server's
// acceptance and the outbox's record.
//
// SMTP replies are classified for the outbox: 4xx (greylisting, a full
// queue, "try again later") and network failures are temporary, so the
// outbox retries with the same key; 5xx (no such mailbox, authentication
// failed, message refused) are permanent, so it dead-letters at once
// instead of hammering the server. The error's text is the server's
// reply, the recipient's address masked; a recipient refused for good
// (5.1.x) also carries a platform.Bounce, which the outbox records on the
// member as email.bounced.
package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/zclconf/go-cty/cty"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/durations"
	"github.com/hearth-community/hearth/engine/platform"
)

// Type is the platform type name used in `platform "email" "NAME"`.
const Type = "email"

// mailOnly are the moderation actions email cannot take: it only sends
// mail.
func mailOnly() map[string]string {
	why := "email only sends mail; flag the match (action = \"flag\") and alert moderators"
	return map[string]string{"mute": why, "remove": why, "kick": why, "ban": why}
}

// Spec describes the settings of an email platform block.
func Spec() config.PlatformSpec {
	return config.PlatformSpec{
		SendsOnly:  true, // hearth plans nothing here: plan needs no credentials
		Moderation: config.ModerationLimits{Cannot: mailOnly()},
		Type:       Type,
		Doc: "Email over SMTP, for campaigns' send { channel = \"email\" }. A member's address is their \"email\" identity " +
			"(events' member.identities.email). Messages are text with an HTML alternative from the template, carry " +
			"List-Unsubscribe headers and a Message-ID derived from the idempotency key; SMTP 4xx replies are retried, 5xx are not. " +
			"`hearth run` answers the unsubscribe link at /v1/inbound/email/NAME: a one-click POST (RFC 8058) with a valid {token} " +
			"ingests the standard event email.unsubscribed for the member, once a day; a GET only shows a confirm button. From then on hearth sends " +
			"the member no email through this platform, even one already in the outbox (skipped, with the reason), except sends with " +
			"transactional = true, which carry no List-Unsubscribe; email.resubscribed lifts it. A recipient refused for good (a hard bounce, 5.1.x such as " +
			"\"550 5.1.1 no such user\") dead-letters with the server's reply (the address masked) and records the standard event email.bounced on the member: " +
			"hearth sends that address no more email but transactional email through this platform until email.resubscribed or a new email identity. " +
			"validate refuses an unsubscribe_url with {token} without unsubscribe_secret (a warning naming HEARTH_VAR_... when its variable is not set). " +
			"hearth does not read the unsubscribe_mailto mailbox: whoever does posts email.unsubscribed to /v1/events.",
		Example: `variable "smtp_password" {
  type      = string
  sensitive = true
}

variable "unsubscribe_secret" {
  type      = string
  sensitive = true
}

platform "email" "news" {
  host               = "smtp.example.org"
  username           = "news@example.org"
  password           = var.smtp_password
  from               = "Explorers <news@example.org>"
  unsubscribe_url    = "https://hearth.example.org/v1/inbound/email/news?member={member}&token={token}"
  unsubscribe_secret = var.unsubscribe_secret
}`,
		Attrs: []config.Attr{
			{Name: "host", Kind: config.KindSetting, Required: true, Doc: "SMTP server host name."},
			{Name: "port", Kind: config.KindNumber, Doc: "SMTP port.", Default: "587 with starttls, 465 with tls, 25 with none"},
			{Name: "security", Kind: config.KindEnum, Enum: []string{"starttls", "tls", "none"}, Doc: "starttls: upgrade the connection with STARTTLS and refuse to go on without it; tls: implicit TLS from the first byte; none: plain text, only to a relay on loopback.", Default: "starttls"},
			{Name: "ca_file", Kind: config.KindSetting, Doc: "PEM file of certificate authorities to trust instead of the system's, relative to the configuration directory (a private relay)."},
			{Name: "username", Kind: config.KindSetting, Doc: "SMTP user; without it hearth does not authenticate."},
			{Name: "password", Kind: config.KindSetting, Secret: true, Doc: "SMTP password; from a sensitive variable.", Example: "var.smtp_password"},
			{Name: "from", Kind: config.KindString, Required: true, Doc: "Sender, \"Name <address>\" or an address."},
			{Name: "reply_to", Kind: config.KindString, Doc: "Reply-To address."},
			{Name: "list_id", Kind: config.KindString, Doc: "List-Id header, such as \"Explorers news <news.example.org>\"."},
			{Name: "unsubscribe_url", Kind: config.KindSetting, Doc: "HTTPS link for List-Unsubscribe and one-click List-Unsubscribe-Post; {member} is replaced by the member id, {email} by the address and {token} by an HMAC-SHA256 of the member id with unsubscribe_secret, each URL-escaped. Point it at hearth's own endpoint, https://HOST/v1/inbound/email/NAME?member={member}&token={token}, which checks the token and ingests email.unsubscribed."},
			{Name: "unsubscribe_mailto", Kind: config.KindString, Doc: "Address for a mailto: List-Unsubscribe (none by default); the subject is \"unsubscribe MEMBER\". hearth does not read this mailbox: mail clients that use it (those without one-click) unsubscribe no one unless a person or a script reading it posts the standard event email.unsubscribed (attrs platform = \"email.NAME\") for the member to POST /v1/events with the API token. Check that the sender is the member's address first: anyone can write any subject. Leave it out unless someone reads it; the HTTPS link alone is enough for RFC 8058 one-click."},
			{Name: "unsubscribe_secret", Kind: config.KindSetting, Secret: true, Doc: "Key for {token} in unsubscribe_url, so links cannot be forged for other members; from a sensitive variable. Required when unsubscribe_url uses {token}: without it every email but transactional ones would fail when sent."},
			{Name: "timeout", Kind: config.KindDuration, Doc: "Longest a connection and one message may take.", Default: "30s"},
		},
		Needs: needs,
	}
}

// needs says that an unsubscribe_url using {token} needs
// unsubscribe_secret: without it no link can be signed, and every email
// but transactional ones would fail at send time.
func needs(set map[string]cty.Value) []config.SettingNeed {
	v, ok := set["unsubscribe_url"]
	if !ok || !v.IsKnown() || v.IsNull() {
		return nil
	}
	v, _ = v.Unmark()
	if v.Type() != cty.String || !strings.Contains(v.AsString(), "{token}") {
		return nil
	}
	return []config.SettingNeed{{Setting: "unsubscribe_url", Needs: "unsubscribe_secret",
		Why: "{token} is an HMAC of the member id with it. Without it every email but transactional ones fails when sent (dead letters), and the unsubscribe endpoint answers 404."}}
}

// Adapter is the email platform type. Its zero value is ready to use.
type Adapter struct {
	// Now is the clock for Date headers; nil means time.Now.
	Now func() time.Time
}

// New returns the email adapter.
func New() *Adapter { return &Adapter{} }

var _ platform.Adapter = (*Adapter)(nil)

// Type is "email".
func (a *Adapter) Type() string { return Type }

// Spec describes the settings.
func (a *Adapter) Spec() config.PlatformSpec { return Spec() }

// settings are an email block's settings, checked.
type settings struct {
	host        string
	port        int
	security    string
	tls         *tls.Config
	username    string
	password    string
	from        *mail.Address
	replyTo     string
	listID      string
	unsubURL    string
	unsubMailto string
	unsubSecret []byte
	// unsigned: unsubscribe_url uses {token} and unsubscribe_secret is
	// empty, so only email that carries no List-Unsubscribe can go.
	unsigned bool
	// The query parameters of unsubscribe_url that hold {member} and
	// {token}, which the unsubscribe endpoint reads.
	memberParam, tokenParam string
	timeout                 time.Duration
}

// Open checks the settings; it does not connect, so a daemon starts
// while the mail server is down and the outbox retries later.
func (a *Adapter) Open(_ context.Context, req platform.OpenRequest) (platform.Conn, error) {
	s, err := readSettings(req)
	if err != nil {
		return nil, err
	}
	log := req.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := a.Now
	if now == nil {
		now = time.Now
	}
	return &Conn{s: s, name: req.Name, log: log, now: now, sent: map[string]sentMail{}}, nil
}

func readSettings(req platform.OpenRequest) (settings, error) {
	var s settings
	var err error
	str := func(name string) string {
		if err != nil {
			return ""
		}
		var v string
		v, err = platform.SettingString(req.Settings, name, "")
		return strings.TrimSpace(v)
	}
	s.host = str("host")
	s.security = str("security")
	caFile := str("ca_file")
	s.username = str("username")
	s.password = str("password")
	from := str("from")
	s.replyTo = str("reply_to")
	s.listID = str("list_id")
	s.unsubURL = str("unsubscribe_url")
	s.unsubMailto = str("unsubscribe_mailto")
	secret := str("unsubscribe_secret")
	timeout := str("timeout")
	if err != nil {
		return s, err
	}
	if s.security == "" {
		s.security = "starttls"
	}
	defPort := map[string]int{"starttls": 587, "tls": 465, "none": 25}[s.security]
	if defPort == 0 {
		return s, fmt.Errorf("%w: security must be starttls, tls or none, not %q", platform.ErrInvalid, s.security)
	}
	if s.port, err = platform.SettingInt(req.Settings, "port", defPort); err != nil {
		return s, err
	}
	if s.port < 1 || s.port > 65535 {
		return s, fmt.Errorf("%w: port %d is not a TCP port", platform.ErrInvalid, s.port)
	}
	if s.host == "" {
		return s, fmt.Errorf("%w: setting host is empty", platform.ErrInvalid)
	}
	if s.security == "none" && !loopback(s.host) {
		// Passwords and members' addresses would cross the network in
		// clear text.
		return s, fmt.Errorf("%w: security = \"none\" is only for a relay on loopback, and %s is not; use starttls or tls", platform.ErrInvalid, s.host)
	}
	if s.password != "" && s.username == "" {
		return s, fmt.Errorf("%w: password is set but username is not", platform.ErrInvalid)
	}
	if from == "" {
		return s, fmt.Errorf("%w: setting from is empty", platform.ErrInvalid)
	}
	if s.from, err = mail.ParseAddress(from); err != nil {
		return s, fmt.Errorf("%w: from %q is not an address: %v", platform.ErrInvalid, from, err)
	}
	if s.replyTo != "" {
		if _, err := mail.ParseAddress(s.replyTo); err != nil {
			return s, fmt.Errorf("%w: reply_to %q is not an address: %v", platform.ErrInvalid, s.replyTo, err)
		}
	}
	if s.unsubURL != "" {
		u, err := url.Parse(strings.NewReplacer("{member}", "m", "{email}", "e", "{token}", "t").Replace(s.unsubURL))
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname()))) {
			// RFC 8058 one-click needs HTTPS; plain HTTP only for a
			// test endpoint on loopback.
			return s, fmt.Errorf("%w: unsubscribe_url must be an https:// link", platform.ErrInvalid)
		}
		// Without the secret no link can be signed, but a
		// transactional email carries none: it still goes (Mail
		// refuses the others), and validate has said so.
		s.unsigned = strings.Contains(s.unsubURL, "{token}") && secret == ""
	}
	if s.unsubMailto != "" {
		if a, err := mail.ParseAddress(s.unsubMailto); err != nil || a.Name != "" {
			return s, fmt.Errorf("%w: unsubscribe_mailto %q is not a bare address", platform.ErrInvalid, s.unsubMailto)
		}
	}
	s.unsubSecret = []byte(secret)
	s.memberParam, s.tokenParam = queryParams(s.unsubURL)
	s.timeout = 30 * time.Second
	if timeout != "" {
		d, derr := durations.Parse(timeout)
		if derr != nil || d <= 0 {
			return s, fmt.Errorf("%w: timeout %q is not a positive duration such as \"30s\"", platform.ErrInvalid, timeout)
		}
		s.timeout = d
	}
	s.tls = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		if !filepath.IsAbs(caFile) {
			caFile = filepath.Join(req.Dir, caFile)
		}
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return s, fmt.Errorf("%w: ca_file: %v", platform.ErrInvalid, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return s, fmt.Errorf("%w: ca_file %s holds no PEM certificate", platform.ErrInvalid, caFile)
		}
		s.tls.RootCAs = pool
	}
	return s, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Conn sends mail for one platform block. It is safe for concurrent use;
// messages go out one at a time, each on its own SMTP connection, so a
// server closing an idle connection never fails a send.
type Conn struct {
	s    settings
	name string // the block's name, for the unsubscribe endpoint's events
	log  *slog.Logger
	now  func() time.Time

	mu     sync.Mutex
	closed bool
	sent   map[string]sentMail // idempotency key -> what was sent
	order  []string            // keys of sent, oldest first
}

// maxKeys bounds the keys a Conn remembers, so a daemon that runs for
// months does not grow without end.
const maxKeys = 100_000

type sentMail struct {
	id     string
	digest string
}

var _ platform.Mailer = (*Conn)(nil)

// Close ends the Conn; later calls fail.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

func (c *Conn) client() (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(c.s.port),
		gomail.WithTimeout(c.s.timeout),
		gomail.WithTLSConfig(c.s.tls),
	}
	switch c.s.security {
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "starttls":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	switch {
	case c.s.username != "" && c.s.security == "none":
		// go-mail's autodiscovery never picks PLAIN or LOGIN without TLS,
		// and a loopback relay (the only place "none" may point) mostly
		// offers just those: every message failed with "autodiscover was
		// not able to detect a supported authentication mechanism". The
		// password does not leave the machine, so they are allowed here,
		// after the mechanisms that never send it.
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
			gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc),
			gomail.WithUsername(c.s.username), gomail.WithPassword(c.s.password))
	case c.s.username != "":
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(c.s.username), gomail.WithPassword(c.s.password))
	}
	cl, err := gomail.NewClient(c.s.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", platform.ErrInvalid, err)
	}
	return cl, nil
}
