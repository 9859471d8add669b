package config

import "fmt"

// TextLimit is the most text one message may carry on a platform
// (PlatformSpec.TextLimit). Platforms count bytes of UTF-8, so a Chinese,
// Japanese or Korean character takes 3 of them.
type TextLimit struct {
	// Bytes is the limit; 0 is none.
	Bytes int
	// What names what is limited, for messages: "a WeCom robot markdown
	// message".
	What string
	// Size, when set, measures a text against Bytes: a platform that
	// limits its request body (Feishu, DingTalk) measures the body the
	// text goes in. Unset: the text's own bytes.
	Size func(text string) int
}

// Limit is the platform's limit for a message sent as kind ("channel" or
// "dm"); zero for none (email, webhooks) or no platform.
func (p *Platform) Limit(kind string) TextLimit {
	switch {
	case p == nil:
		return TextLimit{}
	case kind == "channel":
		return p.ChannelLimit
	case kind == "dm":
		return p.DirectLimit
	}
	return TextLimit{}
}

// Measure is text's size as the limit counts it.
func (l TextLimit) Measure(text string) int {
	if l.Size != nil {
		return l.Size(text)
	}
	return len(text)
}

// Check says when text is over the limit; nil when it fits or there is
// no limit.
func (l TextLimit) Check(text string) error {
	if l.Bytes <= 0 {
		return nil
	}
	if n := l.Measure(text); n > l.Bytes {
		return &OverLimitError{Size: n, Limit: l}
	}
	return nil
}

// OverLimitError is a message longer than its platform takes.
type OverLimitError struct {
	Size  int
	Limit TextLimit
}

func (e *OverLimitError) Error() string {
	return fmt.Sprintf("the message is %d bytes; %s may be at most %d (a Chinese, Japanese or Korean character is 3 bytes)", e.Size, e.Limit.What, e.Limit.Bytes)
}
