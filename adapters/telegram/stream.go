package telegram

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	hook "github.com/hearth-community/hearth/adapters/internal/inbound"
	"github.com/hearth-community/hearth/engine/platform"
)

// allowedUpdates are the update types hearth maps to events; chat_member
// and message_reaction must be asked for by name.
var allowedUpdates = []string{models.AllowedUpdateMessage, models.AllowedUpdateEditedMessage,
	models.AllowedUpdateChatMember, models.AllowedUpdateMessageReaction}

// Stream delivers what members do, mapped by updateEvents. The cursor
// is the last update_id delivered. Without webhook_listen, updates come
// from getUpdates with offset = cursor + 1, which also tells Telegram to
// forget the ones before (Telegram keeps unconfirmed updates for 24
// hours); with Follow the call long-polls. With
// webhook_listen and Follow, Telegram posts updates to hearth, which
// answers 200 only once the event is committed, so Telegram retries what
// hearth did not take.
func (c *Conn) Stream(ctx context.Context, req platform.StreamRequest, handle func(context.Context, platform.Delivery) error) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	var cur int64
	if req.After != "" {
		n, err := strconv.ParseInt(req.After, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: %q is not a Telegram stream cursor (an update_id)", platform.ErrInvalid, req.After)
		}
		cur = n
	}
	if req.Follow && c.listen != "" {
		return c.serveWebhook(ctx, req, cur, handle)
	}
	for {
		timeout := 0
		if req.Follow {
			timeout = int(c.poll / time.Second)
		}
		ups, err := c.getUpdates(ctx, cur, timeout)
		if err != nil {
			return err
		}
		if len(ups) == 0 && !req.Follow {
			return nil
		}
		for _, u := range ups {
			for _, ev := range updateEvents(u, c.botID, req.Communities, &c.authors) {
				if err := handle(ctx, platform.Delivery{Event: ev, Cursor: strconv.FormatInt(u.ID, 10)}); err != nil {
					return err
				}
			}
			cur = max(cur, u.ID)
		}
		if !req.Follow && len(ups) < updatesPage {
			// Done; not asking again leaves these unconfirmed, so a
			// caller that did not keep the cursor reads them again.
			return nil
		}
	}
}

// updatesPage is the most updates one getUpdates returns.
const updatesPage = 100

// getUpdates is Telegram's getUpdates, JSON in and out.
func (c *Conn) getUpdates(ctx context.Context, after int64, timeout int) ([]*models.Update, error) {
	params := map[string]any{"limit": updatesPage, "timeout": timeout, "allowed_updates": allowedUpdates}
	if after > 0 {
		params["offset"] = after + 1
	}
	body, _ := json.Marshal(params)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.api+"/bot"+c.token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, platform.Permanent(errors.New("telegram getUpdates: cannot build the request"))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The URL holds the token: report only what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, platform.Temporary(fmt.Errorf("telegram getUpdates: %v", err), 0)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, platform.Temporary(fmt.Errorf("telegram getUpdates: reading the answer: %v", err), 0)
	}
	var env struct {
		OK          bool             `json:"ok"`
		Result      []*models.Update `json:"result"`
		ErrorCode   int              `json:"error_code"`
		Description string           `json:"description"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, platform.Temporary(fmt.Errorf("telegram getUpdates: %d answer is not the Bot API's JSON", resp.StatusCode), 0)
	}
	if env.OK {
		return env.Result, nil
	}
	what := fmt.Errorf("telegram getUpdates: %d %s", env.ErrorCode, env.Description)
	switch {
	case env.ErrorCode == http.StatusTooManyRequests:
		return nil, &platform.RateLimitError{After: time.Duration(env.Parameters.RetryAfter) * time.Second, Err: what}
	case env.ErrorCode == http.StatusConflict:
		return nil, platform.Permanent(fmt.Errorf("%w (a webhook is set: set webhook_listen, or call deleteWebhook)", what))
	case env.ErrorCode >= 500:
		return nil, platform.Temporary(what, 0)
	}
	return nil, platform.Permanent(what)
}

// maxWebhookBody bounds what is read of an update.
const maxWebhookBody = 1 << 20

// webhookPath is served when webhook_url names no path.
const webhookPath = "/telegram/webhook"

// WebhookAddr is the address the webhook listens on while a following
// Stream serves it ("" before), for tests and logs when webhook_listen
// has port 0.
func (c *Conn) WebhookAddr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bound
}

type inbound struct {
	u    *models.Update
	done chan error
}

// webhookHandler checks the secret token and hands updates to the
// stream.
type webhookHandler struct {
	secret  string
	deliver func(ctx context.Context, u *models.Update) error
	// refused hears a request with a wrong or missing secret, which
	// Telegram only shows in getWebhookInfo.
	refused func(reason string, err error)
}

// decodeWebhook checks a webhook request and decodes its update. A
// wrong or missing secret is errSecret (401); a body that is not an
// update is another error (400).
func decodeWebhook(secret, got string, body []byte) (*models.Update, error) {
	if secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(got)) != 1 {
		return nil, errSecret
	}
	var u models.Update
	if err := json.Unmarshal(body, &u); err != nil {
		return nil, fmt.Errorf("not an update: %v", err)
	}
	if u.ID <= 0 {
		return nil, errors.New("update without an update_id")
	}
	return &u, nil
}

var errSecret = errors.New("wrong or missing X-Telegram-Bot-Api-Secret-Token")

func (h *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "POST updates here", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	u, err := decodeWebhook(h.secret, r.Header.Get("X-Telegram-Bot-Api-Secret-Token"), body)
	if errors.Is(err, errSecret) {
		if h.refused != nil {
			h.refused("unverified", fmt.Errorf("telegram webhook request from %s: %w", r.RemoteAddr, err))
		}
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := h.deliver(r.Context(), u); err != nil {
		// Telegram retries an update it gets no 2xx for.
		http.Error(w, "not recorded; try again", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (c *Conn) serveWebhook(ctx context.Context, req platform.StreamRequest, cur int64, handle func(context.Context, platform.Delivery) error) error {
	communities := req.Communities
	refused := req.Refused
	if refused == nil {
		refused = func(_ string, err error) { c.log.Warn("telegram webhook request refused", "err", err) }
	}
	path := webhookPath
	if c.hookURL != "" {
		u, err := url.Parse(c.hookURL)
		if err != nil || u.Scheme != "https" && u.Scheme != "http" {
			return fmt.Errorf("%w: webhook_url %q is not a URL", platform.ErrInvalid, c.hookURL)
		}
		if u.Path != "" && u.Path != "/" {
			path = u.Path
		}
		if _, err := c.b.SetWebhook(ctx, &bot.SetWebhookParams{URL: c.hookURL, SecretToken: c.secret, AllowedUpdates: allowedUpdates}); err != nil {
			return classify("setWebhook", err)
		}
	}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return fmt.Errorf("telegram webhook_listen %s: %w", c.listen, err)
	}
	inbox := make(chan inbound)
	h := &webhookHandler{secret: c.secret, refused: refused, deliver: func(rctx context.Context, u *models.Update) error {
		in := inbound{u: u, done: make(chan error, 1)}
		select {
		case inbox <- in:
		case <-rctx.Done():
			return rctx.Err()
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case err := <-in.done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	mux := http.NewServeMux()
	mux.Handle(path, h)
	// Bounded reads: a client trickling a body would hold the connection for ever.
	srv := hook.NewServer(mux, c.readTimeout)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.log.Error("telegram webhook stopped", "err", err)
		}
	}()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	c.mu.Lock()
	c.bound = ln.Addr().String()
	c.mu.Unlock()
	c.log.Info("serving the Telegram webhook", "addr", ln.Addr().String(), "path", path)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case in := <-inbox:
			var err error
			if in.u.ID > cur {
				// Telegram may post an update again; one delivered already
				// is acknowledged without delivering it twice.
				for _, ev := range updateEvents(in.u, c.botID, communities, &c.authors) {
					if err = handle(ctx, platform.Delivery{Event: ev, Cursor: strconv.FormatInt(in.u.ID, 10)}); err != nil {
						break
					}
				}
				if err == nil {
					cur = in.u.ID
				}
			}
			in.done <- err
			if err != nil {
				return err
			}
		}
	}
}
