package platform

import (
	"context"
	"net/http"
	"net/url"

	"github.com/hearth-community/hearth/engine/events"
)

// InboundRequest is one HTTP request to a platform's inbound endpoint,
// /v1/inbound/TYPE/NAME on the daemon, with its body already read (and
// bounded).
type InboundRequest struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   []byte
}

// InboundReply is a Responder's answer to an InboundRequest.
type InboundReply struct {
	// Events are ingested like POST /v1/events; the reply is sent only
	// once they are durably stored. Their ids must be stable for the same
	// request, so that a repeat is a duplicate rather than a second event.
	Events []events.Event
	// Status is the HTTP status; 0 means 200.
	Status int
	// ContentType and Body are the response, such as a small HTML page
	// for a person who followed a link.
	ContentType string
	Body        []byte
	// Header holds extra response headers, such as Allow with a 405.
	Header http.Header
}

// Responder is a Conn that answers requests to its inbound endpoint
// itself: any method, with the URL's query, and a response of its own
// (the email platform's List-Unsubscribe link, which people open in a
// browser and mail clients POST to). The daemon serves no API token on
// that route, so a Responder authenticates every request itself, and a
// refused request must return no Events.
type Responder interface {
	RespondInbound(ctx context.Context, req InboundRequest) (InboundReply, error)
}
