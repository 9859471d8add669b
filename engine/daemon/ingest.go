package daemon

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/hearth-community/hearth/engine/events"
	"github.com/hearth-community/hearth/engine/simulate"
)

// FeedResult is what Feed did.
type FeedResult struct {
	Accepted   int
	Duplicates int
	Bad        int
	// TooOld are events from before what the state can still tell
	// apart from applied ones (event_id_retention); they are skipped.
	TooOld int
	// Future are events dated past the clock by more than MaxAhead;
	// they are skipped.
	Future int
	// OutOfOrder is the events of the file dated before an event above
	// them, nil when there were none; with Sorted set when the file was
	// sorted by time before it was fed (a simulate.Sorted source).
	OutOfOrder *simulate.OutOfOrder
}

// Feed reads JSON lines from r and submits them in batches of up to
// batch events, through the same path as POST /v1/events: an event is
// counted only once it is committed. A bad line is skipped and reported
// to bad (when set), so one typo in a long file does not stop the rest.
func (d *Daemon) Feed(ctx context.Context, r io.Reader, batch int, bad func(*events.Error)) (FeedResult, error) {
	return d.FeedSource(ctx, events.NewReader(r), batch, bad)
}

// FeedSource is Feed from a stream of events: an *events.Reader in the
// file's order, or a *simulate.Sorted in time order. The result says
// which events were out of time order in the file (a late event is
// applied at its own time, but its member's rules saw the events above
// it first); the first line and time are of the file.
func (d *Daemon) FeedSource(ctx context.Context, rd simulate.Source, batch int, bad func(*events.Error)) (res FeedResult, _ error) {
	if batch <= 0 {
		batch = 1000
	}
	// Timers wait until the file is applied: its events come in time
	// order, and each member's own rechecks up to each event run as the
	// event is applied (the runtime's catch-up).
	d.feeding.Add(1)
	defer d.feeding.Add(-1)
	// Once it is applied (or stopped), the gauges of the population
	// (hearth_members, segment and tier sizes, the outbox) are counted
	// again at once, not up to a minute later.
	defer d.askRescan()
	var order simulate.OrderCheck
	defer func() { // on every return: a stop halfway reports what was read
		if sorted, ok := rd.(*simulate.Sorted); ok {
			res.OutOfOrder = sorted.OutOfOrder()
		} else {
			res.OutOfOrder = order.Report()
		}
	}()
	buf := make([]events.Event, 0, batch)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		// Stopped: no batch goes in after the signal, so the counts
		// are of what was committed.
		if err := ctx.Err(); err != nil {
			return err
		}
		if old := d.tooOld(buf); len(old) > 0 {
			res.TooOld += len(old)
			d.opt.Metrics.rejected.WithLabelValues("too_old").Add(float64(len(old)))
			d.stats.TooOld.Add(int64(len(old)))
			keep := buf[:0]
			for i, j := 0, 0; i < len(buf); i++ {
				if j < len(old) && old[j].Index == i {
					j++
					continue
				}
				keep = append(keep, buf[i])
			}
			buf = keep
			if len(buf) == 0 {
				return nil
			}
		}
		d.warnTaken(buf)
		// A backfill: through a bus, the replicas applying the file hold
		// their timers as this one does while feeding. Without one, a
		// batch handed over when the signal comes is waited for (the stop
		// commits it), so that it is counted.
		var a applied
		var err error
		if d.opt.Bus == nil {
			a, err = d.applyEvents(ctx, buf, true)
		} else {
			a, err = d.submitEvents(ctx, buf, true)
			// A bus out of reach for a while does not stop the file
			// halfway: the batch waits and goes again, whole (its ids
			// make that safe).
			for _, refused := asBusRefusal(err); refused && ctx.Err() == nil; _, refused = asBusRefusal(err) {
				if ok, held := d.refusedLog.Allow("feed_bus", time.Now()); ok {
					d.log.Warn("events file: the event bus cannot take events now; sending the batch again until it can", "err", err, "every", busRetryWait.String(), "not_logged", held)
				}
				select {
				case <-ctx.Done():
				case <-time.After(busRetryWait):
					a, err = d.submitEvents(ctx, buf, true)
				}
			}
		}
		if err != nil {
			return err
		}
		dups := a.skipped
		res.Accepted += len(buf) - dups
		res.Duplicates += dups
		// Submit hands the slice to the processor; never reuse it.
		buf = make([]events.Event, 0, batch)
		return nil
	}
	read := 0               // events read, good or bad: the index of the next
	var view map[string]any // checkAttrs' scratch space
	for {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		read++
		var evErr *events.Error
		if errors.As(err, &evErr) {
			res.Bad++
			d.opt.Metrics.rejected.WithLabelValues("invalid").Inc()
			d.stats.Rejected.Add(1)
			if bad != nil {
				bad(evErr)
			}
			continue
		}
		if err != nil {
			return res, err
		}
		order.See(rd.Line(), ev.At)
		if err := d.checkAhead(d.opt.Now(), &ev); err != nil {
			res.Future++
			d.opt.Metrics.rejected.WithLabelValues("future").Inc()
			d.stats.Rejected.Add(1)
			if bad != nil {
				bad(&events.Error{Index: read - 1, Line: rd.Line(), ID: ev.ID, Err: err})
			}
			continue
		}
		err = checkEvent(d.snap.Load().Config, &ev)
		if err == nil {
			view, err = checkAttrs(d.snap.Load().Config, &ev, view)
		}
		if err != nil {
			res.Bad++
			d.opt.Metrics.rejected.WithLabelValues("invalid").Inc()
			d.stats.Rejected.Add(1)
			if bad != nil {
				bad(&events.Error{Index: read - 1, Line: rd.Line(), ID: ev.ID, Err: err})
			}
			continue
		}
		buf = append(buf, ev)
		if len(buf) >= batch {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	return res, flush()
}
