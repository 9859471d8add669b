package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/hearth-community/hearth/engine/events"
)

// Interactions: Discord POSTs slash commands, button clicks and modal
// submissions to the application's Interactions Endpoint URL, signed
// with Ed25519 over the X-Signature-Timestamp header followed by the
// body, and expects PING (type 1) to be answered with PONG.

// Interaction types, as Discord numbers them.
const (
	interactionPing         = 1
	interactionCommand      = 2
	interactionComponent    = 3
	interactionAutocomplete = 4
	interactionModal        = 5
)

// maxInteractionBody bounds what is read of a request.
const maxInteractionBody = 1 << 20

// maxSkew is how old (or how far ahead) a signed timestamp may be: a
// captured request cannot be replayed later.
const maxSkew = 5 * time.Minute

// interaction is the part of Discord's interaction object hearth reads.
type interaction struct {
	ID        string `json:"id"`
	Type      int    `json:"type"`
	GuildID   string `json:"guild_id"`
	ChannelID string `json:"channel_id"`
	Member    *struct {
		User *iuser `json:"user"`
	} `json:"member"`
	User *iuser `json:"user"`
	Data struct {
		Name     string `json:"name"`
		CustomID string `json:"custom_id"`
		Options  []struct {
			Name  string `json:"name"`
			Value any    `json:"value"`
		} `json:"options"`
	} `json:"data"`
}

type iuser struct {
	ID         string `json:"id"`
	Username   string `json:"username"`
	GlobalName string `json:"global_name"`
}

// errSignature is a request Discord did not sign.
var errSignature = errors.New("invalid request signature")

// verifyInteraction checks the signature and freshness of a request and
// decodes it. Every failure is the sender's: the caller answers 401 for
// errSignature and 400 otherwise.
func verifyInteraction(pub ed25519.PublicKey, sigHex, timestamp string, body []byte, now time.Time) (*interaction, error) {
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != ed25519.SignatureSize || timestamp == "" || len(pub) != ed25519.PublicKeySize {
		return nil, errSignature
	}
	msg := make([]byte, 0, len(timestamp)+len(body))
	msg = append(append(msg, timestamp...), body...)
	if !ed25519.Verify(pub, msg, sig) {
		return nil, errSignature
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return nil, errSignature
	}
	if d := now.Sub(time.Unix(secs, 0)); d > maxSkew || d < -maxSkew {
		return nil, fmt.Errorf("%w: timestamp is %s away from now", errSignature, d.Round(time.Second))
	}
	var in interaction
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("interaction body is not JSON: %v", err)
	}
	if in.Type < interactionPing || in.Type > interactionModal {
		return nil, fmt.Errorf("unknown interaction type %d", in.Type)
	}
	if in.Type != interactionPing && !snowflake(in.ID) {
		return nil, fmt.Errorf("interaction id %q is not a Discord id", in.ID)
	}
	return &in, nil
}

// user is whoever interacted: the member in a server, the user in a DM.
func (in *interaction) user() *iuser {
	if in.Member != nil && in.Member.User != nil {
		return in.Member.User
	}
	return in.User
}

// event maps an interaction to a hearth event; ok is false for PING and
// autocomplete, which carry nothing a member did.
func (in *interaction) event(communities map[string]string) (events.Event, bool, error) {
	var typ string
	attrs := map[string]any{}
	switch in.Type {
	case interactionCommand:
		typ = "command.used"
		attrs["command"] = in.Data.Name
		for _, o := range in.Data.Options {
			switch v := o.Value.(type) {
			case string, float64, bool:
				attrs["option_"+o.Name] = v
			}
		}
	case interactionComponent:
		typ = "component.used"
		attrs["custom_id"] = in.Data.CustomID
	case interactionModal:
		typ = "modal.submitted"
		attrs["custom_id"] = in.Data.CustomID
	default:
		return events.Event{}, false, nil
	}
	u := in.user()
	if u == nil || !snowflake(u.ID) {
		return events.Event{}, false, errors.New("interaction has no user")
	}
	if in.ChannelID != "" {
		attrs["channel_id"] = in.ChannelID
	}
	name := u.GlobalName
	if name == "" {
		name = u.Username
	}
	ev := events.Event{
		ID:        "discord.interaction." + in.ID,
		Type:      typ,
		Member:    events.Member{ID: u.ID, Name: name, Identities: map[string]string{Type: u.ID}},
		At:        snowflakeTime(in.ID),
		Source:    Type,
		Community: communities[in.GuildID],
		Attrs:     attrs,
	}
	return ev, true, ev.Check()
}

// inbound is one verified interaction waiting for the stream to deliver
// it; done receives the handler's result.
type inbound struct {
	ev   events.Event
	done chan error
}

// interactionHandler serves the Interactions Endpoint URL.
type interactionHandler struct {
	pub         ed25519.PublicKey
	communities map[string]string
	now         func() time.Time
	deliver     func(ctx context.Context, ev events.Event) error
	// refused hears a request whose signature does not check.
	refused func(reason string, err error)
}

func (h *interactionHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "POST interactions here", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInteractionBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	in, err := verifyInteraction(h.pub, r.Header.Get("X-Signature-Ed25519"), r.Header.Get("X-Signature-Timestamp"), body, h.now())
	if errors.Is(err, errSignature) {
		if h.refused != nil {
			h.refused("unverified", fmt.Errorf("discord interaction from %s: %w", r.RemoteAddr, err))
		}
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch in.Type {
	case interactionPing:
		writeInteraction(w, map[string]any{"type": 1})
		return
	case interactionAutocomplete:
		writeInteraction(w, map[string]any{"type": 8, "data": map[string]any{"choices": []any{}}})
		return
	}
	ev, ok, err := in.event(h.communities)
	if err != nil || !ok {
		http.Error(w, fmt.Sprintf("interaction not understood: %v", err), http.StatusBadRequest)
		return
	}
	// Answer only once the event is committed, so Discord's "failed"
	// is what a member sees if hearth did not take it.
	if err := h.deliver(r.Context(), ev); err != nil {
		http.Error(w, "not recorded; try again", http.StatusServiceUnavailable)
		return
	}
	// An ephemeral acknowledgement only the member sees.
	writeInteraction(w, map[string]any{"type": 4, "data": map[string]any{"content": "Noted.", "flags": 64}})
}

func writeInteraction(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// discordEpoch is the first millisecond of 2015, where snowflake time
// starts.
const discordEpoch = 1420070400000

// snowflakeTime is when a snowflake was made.
func snowflakeTime(id string) time.Time {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(int64(n>>22) + discordEpoch).UTC()
}

// snowflakeAt is the smallest snowflake of a moment.
func snowflakeAt(t time.Time) uint64 {
	ms := t.UnixMilli() - discordEpoch
	if ms < 0 {
		return 0
	}
	return uint64(ms) << 22
}
