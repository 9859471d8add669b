package platform

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
)

// Mailer sends email: what a campaign's send { channel = "email" }
// delivers. It is a capability of its own rather than a Perform action
// because an email has parts a chat message does not (a subject, an HTML
// alternative, unsubscribe headers) and goes to an address, not to a
// member of a community.
type Mailer interface {
	// Mail sends one message at most once per idempotency key on this
	// Conn: a key already sent answers Duplicate with the first call's
	// message id; a key reused for different content is ErrKeyReused.
	// The message id is derived from the key, so a resend after a crash
	// carries the same Message-ID and receivers can tell it is the same
	// message.
	//
	// Failures are classified like Perform's: the server refusing for
	// now (SMTP 4xx, a network error) is temporary; refusing for good
	// (SMTP 5xx: no such mailbox, authentication failed) is permanent.
	Mail(ctx context.Context, req MailRequest) (MailResponse, error)
}

// MailRequest is one email.
type MailRequest struct {
	// Key is the idempotency key, required: the outbox entry's id.
	Key string
	// To is the recipient's address, "ann@example.org".
	To string
	// Member is the hearth member id of the recipient, for unsubscribe
	// links; empty when the mail is not to a member.
	Member  string
	Subject string
	// Text is the plain text part, required; HTML, when not empty, is
	// sent as its alternative.
	Text string
	HTML string
	// Locale is the message's locale ("zh-CN"), for Content-Language.
	Locale string
	// Transactional marks a message the member gets even after
	// unsubscribing (a receipt): it carries no List-Unsubscribe, since
	// the link would not stop it.
	Transactional bool
}

// MailResponse is the result of Mail.
type MailResponse struct {
	// ID is the Message-ID, without angle brackets.
	ID string
	// Duplicate says the key had been sent before and nothing was sent
	// now.
	Duplicate bool
}

// CheckMail checks the shape of a request, so every mailer refuses the
// same malformed ones. Problems wrap ErrInvalid.
func CheckMail(req MailRequest) error {
	switch {
	case req.Key == "":
		return fmt.Errorf("%w: an email needs an idempotency key", ErrInvalid)
	case len(req.Key) > MaxKeyLen:
		return fmt.Errorf("%w: idempotency key longer than %d bytes", ErrInvalid, MaxKeyLen)
	case req.To == "":
		return fmt.Errorf("%w: an email needs a recipient address", ErrInvalid)
	case strings.TrimSpace(req.Subject) == "":
		return fmt.Errorf("%w: an email needs a subject (the template's subject)", ErrInvalid)
	case strings.TrimSpace(req.Text) == "":
		return fmt.Errorf("%w: an email needs a text part (the template's text)", ErrInvalid)
	case strings.ContainsAny(req.Subject, "\r\n"):
		return fmt.Errorf("%w: the subject has a line break", ErrInvalid)
	}
	a, err := mail.ParseAddress(req.To)
	if err != nil || a.Name != "" || a.Address != req.To {
		return fmt.Errorf("%w: %q is not an email address", ErrInvalid, req.To)
	}
	return nil
}
