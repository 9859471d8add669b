package platform

import "github.com/zclconf/go-cty/cty"

// Shaper is implemented by an Adapter that changes the text of a message
// before it posts it (crowd mentions shown as text), so hearth template
// render can show a message as the platform receives it. Adapters that
// post text as hearth gives it need not implement it. The adapter's own
// sending must go through the same code, or the preview says one thing
// and the platform gets another.
type Shaper interface {
	// Shape changes text as a send of req.Action through a platform block
	// with req.Settings would. It must not talk to the platform: what
	// depends on the platform's state it leaves, and says in the
	// response's Note.
	Shape(req ShapeRequest) (ShapeResponse, error)
}

// ShapeRequest is one message's text, as Shape takes it.
type ShapeRequest struct {
	// Action is ActionChannelMessage or ActionDirectMessage.
	Action Action
	// Settings are the platform block's, as in OpenRequest.
	Settings map[string]cty.Value
	Text     string
}

// ShapeResponse is the text as the platform would receive it.
type ShapeResponse struct {
	Text string
	// Note says, in a sentence, what the adapter does at send time that
	// Shape could not (it depends on the platform's state); "" for
	// nothing.
	Note string
}
