package email

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"github.com/hearth-community/hearth/engine/platform"
)

// Mail sends one email; see platform.Mailer.
func (c *Conn) Mail(ctx context.Context, req platform.MailRequest) (platform.MailResponse, error) {
	if err := platform.CheckMail(req); err != nil {
		return platform.MailResponse{}, err
	}
	if err := ctx.Err(); err != nil {
		return platform.MailResponse{}, err
	}
	digest := digestOf(req)
	// One message at a time: the lock also makes "check the key, send,
	// record the key" one step, so concurrent calls with one key send once.
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return platform.MailResponse{}, fmt.Errorf("%w: the email connection is closed", platform.ErrInvalid)
	}
	if prev, ok := c.sent[req.Key]; ok {
		if prev.digest != digest {
			return platform.MailResponse{}, fmt.Errorf("%w: key %q was sent with other content", platform.ErrKeyReused, req.Key)
		}
		return platform.MailResponse{ID: prev.id, Duplicate: true}, nil
	}
	if c.s.unsigned && !req.Transactional && req.Member != "" {
		return platform.MailResponse{}, platform.Permanent(fmt.Errorf("%w: unsubscribe_url uses {token} but unsubscribe_secret is empty, so this email's List-Unsubscribe link cannot be signed; set unsubscribe_secret (transactional sends go without it)", platform.ErrInvalid))
	}
	msg, id, err := c.message(req)
	if err != nil {
		return platform.MailResponse{}, err
	}
	cl, err := c.client()
	if err != nil {
		return platform.MailResponse{}, err
	}
	if err := cl.DialAndSendWithContext(ctx, msg); err != nil {
		// The server's reply often quotes the recipient ("550 5.1.1
		// <ana@example.org>: user unknown"); the error goes to the log
		// and the outbox's last_error, where a member's address has no
		// business: only its domain is kept, which says where it failed.
		err = withoutAddress(classify(err), req.To)
		if b := (*platform.Bounce)(nil); errors.As(err, &b) {
			b.Reply = withoutAddress(errors.New(b.Reply), req.To).Error()
		}
		// The outbox logs the first failure and the dead letter as
		// warnings; each try is a debug line here.
		c.log.Debug("email not sent", "key", req.Key, "error", err, "class", classOf(err))
		return platform.MailResponse{}, fmt.Errorf("sending %s to %s: %w", req.Key, MaskAddress(req.To), err)
	}
	c.sent[req.Key] = sentMail{id: id, digest: digest}
	c.order = append(c.order, req.Key)
	if len(c.order) > maxKeys {
		delete(c.sent, c.order[0])
		c.order = c.order[1:]
	}
	c.log.Debug("email sent", "key", req.Key, "message_id", id)
	return platform.MailResponse{ID: id}, nil
}

// MaskAddress is an email address as logs and errors may show it: its
// domain, the part before the @ replaced ("***@example.org"); "***" for
// text that is no address.
func MaskAddress(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "***"
	}
	return "***@" + strings.TrimRight(addr[at+1:], ">")
}

// addressError is an error whose text had a member's address masked;
// what it wraps is still there for errors.Is and errors.As.
type addressError struct {
	msg string
	err error
}

func (e *addressError) Error() string { return e.msg }
func (e *addressError) Unwrap() error { return e.err }

// withoutAddress masks addr (in any case: servers may lower it) in
// err's text.
func withoutAddress(err error, addr string) error {
	if err == nil || addr == "" {
		return err
	}
	msg := err.Error()
	lower, want := strings.ToLower(msg), strings.ToLower(addr)
	if !strings.Contains(lower, want) {
		return err
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, want)
		if i < 0 {
			break
		}
		b.WriteString(msg[:i])
		b.WriteString(MaskAddress(addr))
		msg, lower = msg[i+len(want):], lower[i+len(want):]
	}
	b.WriteString(msg)
	return &addressError{msg: b.String(), err: err}
}

func classOf(err error) string {
	cl, _ := platform.Classify(err)
	return cl.String()
}

func digestOf(req platform.MailRequest) string {
	h := sha256.New()
	for _, s := range []string{req.To, req.Member, req.Subject, req.Text, req.HTML, req.Locale} {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// MessageID derives the Message-ID (without angle brackets) of the mail
// sent for an idempotency key from the sender's domain: the same key
// always gives the same id.
func MessageID(key, from string) string {
	domain := "hearth.invalid"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = d
	}
	sum := sha256.Sum256([]byte(key))
	return "hearth." + hex.EncodeToString(sum[:16]) + "@" + domain
}

// message builds the MIME message.
func (c *Conn) message(req platform.MailRequest) (*gomail.Msg, string, error) {
	m := gomail.NewMsg()
	m.FromMailAddress(c.s.from)
	if err := m.To(req.To); err != nil {
		return nil, "", withoutAddress(fmt.Errorf("%w: recipient %q: %v", platform.ErrInvalid, MaskAddress(req.To), err), req.To)
	}
	if c.s.replyTo != "" {
		if err := m.ReplyTo(c.s.replyTo); err != nil {
			return nil, "", fmt.Errorf("%w: reply_to: %v", platform.ErrInvalid, err)
		}
	}
	m.Subject(req.Subject)
	id := MessageID(req.Key, c.s.from.Address)
	m.SetMessageIDWithValue(id)
	m.SetDateWithValue(c.now())
	m.SetUserAgent("hearth")
	if req.Locale != "" {
		m.SetGenHeader(gomail.HeaderContentLang, req.Locale)
	}
	if c.s.listID != "" {
		m.SetGenHeader(gomail.Header("List-Id"), c.s.listID)
	}
	// A transactional message goes to members who unsubscribed too: a
	// link promising to stop it would not. A message to no member (an
	// alert's notify, to the operators) has no one the link could
	// unsubscribe: the endpoint would refuse it.
	if links := c.unsubscribe(req); len(links) > 0 && !req.Transactional && req.Member != "" {
		m.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribe, strings.Join(links, ", "))
		if strings.HasPrefix(links[0], "<http") {
			m.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
		}
	}
	// Marketing mail should not draw vacation replies.
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	m.SetBodyString(gomail.TypeTextPlain, req.Text)
	if req.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, req.HTML)
	}
	return m, id, nil
}

// unsubscribe returns the List-Unsubscribe entries, each in angle
// brackets, the HTTPS link first.
func (c *Conn) unsubscribe(req platform.MailRequest) []string {
	var out []string
	if c.s.unsubURL != "" {
		token := ""
		if len(c.s.unsubSecret) > 0 {
			token = UnsubscribeToken(string(c.s.unsubSecret), req.Member)
		}
		u := strings.NewReplacer(
			"{member}", url.QueryEscape(req.Member),
			"{email}", url.QueryEscape(req.To),
			"{token}", token,
		).Replace(c.s.unsubURL)
		out = append(out, "<"+u+">")
	}
	if c.s.unsubMailto != "" {
		subject := "unsubscribe"
		if req.Member != "" {
			subject += " " + req.Member
		}
		out = append(out, "<mailto:"+c.s.unsubMailto+"?subject="+url.PathEscape(subject)+">")
	}
	return out
}

// UnsubscribeToken is the {token} of an unsubscribe link for a member,
// for the service that answers the link to check it.
func UnsubscribeToken(secret, member string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(member))
	return hex.EncodeToString(mac.Sum(nil))
}

// classify marks an SMTP failure temporary or permanent by its reply
// code: 4xx may pass (greylisting, a full queue), 5xx will not. A
// refused recipient (550, 551, 553) is also platform.ErrNotFound, and one
// refused for good (a 5.1.x status: no such mailbox, a bad address) is
// ErrBounced too. A failure without a reply code (a refused connection, a
// timeout) stays unmarked, which platform.Classify treats as temporary.
//
// The error's text is the server's reply ("550 5.1.1 <ann@example.org>:
// no such user") after what it refused: the dead letter's last_error must
// say why, and go-mail's own wording around it ("send failed: sending
// SMTP RCPT TO command: ..., affected message ID: ...") pushed the reply
// past where a table of dead letters cuts the column.
func classify(err error) error {
	code := 0
	var se *gomail.SendError
	if errors.As(err, &se) {
		code = se.ErrorCode()
		if code == 0 && (se.Reason == gomail.ErrGetSender || se.Reason == gomail.ErrGetRcpts) {
			return platform.Permanent(fmt.Errorf("%w: %v", platform.ErrInvalid, err))
		}
		if code == 0 && se.IsTemp() {
			return platform.Temporary(err, 0)
		}
	}
	// go-mail keeps the reply only in its error's text (a SendError
	// does not unwrap to it).
	var te *textproto.Error
	if !errors.As(err, &te) {
		te = replyIn(err.Error())
	}
	reply := err.Error()
	if te != nil {
		if code == 0 {
			code = te.Code
		}
		reply = Reply(te)
	}
	rcpt := se != nil && se.Reason == gomail.ErrSMTPRcptTo
	switch {
	case code >= 500 && code < 600:
		if rcpt && (code == 550 || code == 551 || code == 553) {
			e := &replyError{msg: "the server refused the recipient: " + reply, errs: []error{platform.ErrNotFound, err}}
			if hardBounce(code, te) {
				e.errs = append(e.errs, &platform.Bounce{Code: statusOf(code, te), Reply: reply})
			}
			return platform.Permanent(e)
		}
		return platform.Permanent(&replyError{msg: "the server refused for good: " + reply, errs: []error{err}})
	case code >= 400 && code < 500:
		what := "the server refused for now: "
		if rcpt {
			what = "the server refused the recipient for now: "
		}
		return platform.Temporary(&replyError{msg: what + reply, errs: []error{err}}, 0)
	}
	return err
}

// statusOf is a reply's code and enhanced status, "550 5.1.1", or the
// code alone when the reply has no status.
func statusOf(code int, te *textproto.Error) string {
	c := strconv.Itoa(code)
	if te == nil {
		return c
	}
	if status, _, _ := strings.Cut(strings.TrimSpace(te.Msg), " "); enhanced(status) {
		return c + " " + status
	}
	return c
}

// enhanced reports whether s is an RFC 3463 status, "5.1.1".
func enhanced(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || parts[0][0] < '2' || parts[0][0] > '5' {
		return false
	}
	for _, p := range parts[1:] {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// hardBounce reports whether a refused recipient is a hard bounce: the
// enhanced status (RFC 3463) says 5.1.x, an address problem, when the
// server gives one; without one, 550, 551 and 553 on RCPT say the same.
// Other 5.x.x refusals of a recipient (5.2.2 mailbox full, 5.7.1 policy)
// may pass another day, so they are no reason to stop writing to it.
func hardBounce(code int, te *textproto.Error) bool {
	if te == nil {
		return true
	}
	status, _, _ := strings.Cut(strings.TrimSpace(te.Msg), " ")
	if !enhanced(status) {
		return code == 550 || code == 551 || code == 553
	}
	return strings.HasPrefix(status, "5.1.")
}

// replyPattern finds an SMTP reply as net/textproto prints it: the code
// and the quoted text, 550 "5.1.1 <ann@example.org>: no such user".
var replyPattern = regexp.MustCompile(`\b([2-5][0-9][0-9]) ("(?:[^"\\]|\\.)*")`)

// replyIn is the SMTP reply quoted in an error's text; nil for none.
func replyIn(text string) *textproto.Error {
	m := replyPattern.FindStringSubmatch(text)
	if m == nil {
		return nil
	}
	code, _ := strconv.Atoi(m[1])
	msg, err := strconv.Unquote(m[2])
	if err != nil {
		return nil
	}
	return &textproto.Error{Code: code, Msg: msg}
}

// Reply is an SMTP reply as one line, "550 5.1.1 <ann@example.org>: no
// such user": its code and text, a multi-line reply's lines joined.
func Reply(te *textproto.Error) string {
	return strings.TrimSpace(fmt.Sprintf("%03d %s", te.Code, strings.Join(strings.Fields(te.Msg), " ")))
}

// replyError is an SMTP failure told by the server's reply; what it
// wraps is there for errors.Is and errors.As.
type replyError struct {
	msg  string
	errs []error
}

func (e *replyError) Error() string   { return e.msg }
func (e *replyError) Unwrap() []error { return e.errs }
