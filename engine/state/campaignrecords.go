package state

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CampaignRecords is a store that reads what it keeps of one campaign,
// each kind in one pass rather than a query per member: the outcomes its
// rule (campaign.NAME) decided, and the outbox entries of its sends.
// hearth campaign show sums them up per step (engine/campaignstats).
type CampaignRecords interface {
	// CampaignOutcomes calls fn with every kept outcome whose rule is
	// campaign.NAME (the campaign's own, and the actions of its sends),
	// in the order they were appended: a member's in the order they
	// happened.
	CampaignOutcomes(ctx context.Context, campaign string, fn func(*Outcome) error) error
	// CampaignSends calls fn with the delivery state of every kept
	// outbox entry of the campaign's sends, in no particular order.
	CampaignSends(ctx context.Context, campaign string, fn func(SendStatus) error) error
}

// SendStatus is what the campaign figures read of an outbox entry: its
// key, which names the run and step (ParseSendKey), its status, and
// for a skipped or dead one why (its LastError).
type SendStatus struct {
	Key    string
	Status string
	Reason string
}

// SendKey is what the outbox key of a campaign's send names:
// campaign/NAME/MEMBER/RUN/SEQ/STEP, or campaign/NAME[KEY]/... for a run
// with a key (path-escaped in the key, so it holds no '/').
type SendKey struct {
	Campaign string
	RunKey   string // unescaped; "" for a run without one
	Member   string
	Run      int // the run's number (CampaignRun.Runs)
	Seq      int // the send's number in the run
	Step     string
}

// String is the outbox key: the one the runtime gives a send.
func (k SendKey) String() string {
	id := k.Campaign
	if k.RunKey != "" {
		id = RunID(k.Campaign, url.PathEscape(k.RunKey))
	}
	return fmt.Sprintf("campaign/%s/%s/%d/%d/%s", id, k.Member, k.Run, k.Seq, k.Step)
}

// ParseSendKey reads a campaign send's outbox key back; ok is false for
// any other key. The member id may hold '/': the run's id ends at the
// first, and the step, the send's number and the run's at the last three.
func ParseSendKey(key string) (k SendKey, ok bool) {
	rest, ok := strings.CutPrefix(key, "campaign/")
	if !ok {
		return k, false
	}
	id, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return k, false
	}
	campaign, escaped, keyed := SplitRunID(id)
	if keyed {
		if k.RunKey, ok = unescape(escaped); !ok || k.RunKey == "" {
			return SendKey{}, false
		}
	}
	k.Campaign = campaign
	parts := strings.Split(rest, "/")
	if len(parts) < 4 {
		return SendKey{}, false
	}
	n := len(parts)
	run, err1 := strconv.Atoi(parts[n-3])
	seq, err2 := strconv.Atoi(parts[n-2])
	if err1 != nil || err2 != nil || parts[n-1] == "" {
		return SendKey{}, false
	}
	k.Member, k.Run, k.Seq, k.Step = strings.Join(parts[:n-3], "/"), run, seq, parts[n-1]
	return k, k.Member != "" && k.Campaign != ""
}

func unescape(s string) (string, bool) {
	u, err := url.PathUnescape(s)
	return u, err == nil
}

// SendKeyRanges are the ranges of outbox keys, [from, to) in byte order,
// that hold the campaign's sends: those of runs without a key
// (campaign/NAME/...) and with one (campaign/NAME[...). A campaign's
// name holds neither '/' nor '[', so no other campaign's keys are in
// them; the SQL stores read them off their key index.
func SendKeyRanges(campaign string) [2][2]string {
	p := "campaign/" + campaign
	return [2][2]string{{p + "/", p + "0"}, {p + "[", p + "\\"}}
}

// VisitOutcomes reads outcome rows of the columns kind, member, name,
// change, at (Unix nanoseconds), rule, event, points, src, dst and
// detail, and passes each to fn: the SQL stores' CampaignOutcomes.
func VisitOutcomes(rows Rows, fn func(*Outcome) error) error {
	for rows.Next() {
		var o Outcome
		var at, points int64
		if err := rows.Scan(&o.Kind, &o.Member, &o.Name, &o.Change, &at, &o.Rule, &o.Event, &points, &o.From, &o.To, &o.Detail); err != nil {
			return err
		}
		o.At, o.Points = time.Unix(0, at).UTC(), int(points)
		if err := fn(&o); err != nil {
			return err
		}
	}
	return rows.Err()
}

// VisitSends reads outbox rows of the columns key, status and
// last_error, and passes each to fn: the SQL stores' CampaignSends.
func VisitSends(rows Rows, fn func(SendStatus) error) error {
	for rows.Next() {
		var s SendStatus
		if err := rows.Scan(&s.Key, &s.Status, &s.Reason); err != nil {
			return err
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return rows.Err()
}

var _ CampaignRecords = (*Memory)(nil)

// CampaignOutcomes visits the campaign's outcomes kept in memory
// (KeepOutcomes).
func (s *Memory) CampaignOutcomes(ctx context.Context, campaign string, fn func(*Outcome) error) error {
	rule := "campaign." + campaign
	for i := range s.outcomes {
		if s.outcomes[i].Rule != rule {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		o := s.outcomes[i]
		if err := fn(&o); err != nil {
			return err
		}
	}
	return nil
}

// CampaignSends visits the campaign's outbox entries in key order.
func (s *Memory) CampaignSends(ctx context.Context, campaign string, fn func(SendStatus) error) error {
	s.outboxMu.Lock()
	var out []SendStatus
	for _, r := range SendKeyRanges(campaign) {
		for key, e := range s.entries {
			if key >= r[0] && key < r[1] {
				out = append(out, SendStatus{Key: key, Status: e.Status, Reason: e.LastError})
			}
		}
	}
	s.outboxMu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	for _, st := range out {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(st); err != nil {
			return err
		}
	}
	return nil
}
