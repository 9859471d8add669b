package plan

import (
	"context"
	"errors"
	"time"

	"github.com/hearth-community/hearth/engine/platform"
)

// Plan has no outbox to come back to later, so a read the platform
// refuses for now (HTTP 429) is waited out and made again, as Apply does
// for changes: a 1 s limit on Discord or Telegram must not fail a plan.
// A wait longer than maxReadWait fails the plan with the platform's
// delay rather than leaving it hanging.
const (
	maxReadWait  = time.Minute
	readAttempts = 6
)

// reader is conn's Reader, waiting out rate limits.
func reader(conn platform.Conn, paddr string) (platform.Reader, error) {
	rd, err := platform.Require[platform.Reader](conn, paddr)
	if err != nil {
		return nil, err
	}
	return patientReader{rd, paddr}, nil
}

// patientReader's errors are readErrors, which name its block for
// Unreached.
type patientReader struct {
	platform.Reader
	addr string
}

func (p patientReader) Read(ctx context.Context, req platform.ReadRequest) (platform.ReadResponse, error) {
	for attempt := 1; ; attempt++ {
		resp, err := p.Reader.Read(ctx, req)
		var rl *platform.RateLimitError
		if err == nil {
			return resp, nil
		}
		if !errors.As(err, &rl) || rl.After > maxReadWait || attempt == readAttempts {
			return resp, &readError{addr: p.addr, err: err}
		}
		if err := sleep(ctx, rl.After); err != nil {
			return resp, err
		}
	}
}
