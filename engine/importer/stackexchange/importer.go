// Package stackexchange turns a Stack Exchange data dump (Users.xml,
// Posts.xml, Votes.xml, Comments.xml, PostHistory.xml) into one
// time-ordered stream of hearth member events.
//
// The dump holds final states plus dated history rows, so some times are
// estimates. The choices, measured against the Badges.xml awards of the
// conlang.meta dump (sanity_test.go prints the figures):
//
//   - About Me is taken as written at the user's CreationDate. Autobiographer
//     awards follow it by a median of 0.9 h and never precede it (70% within
//     a day). First activity has the same median but falls after 37 of 179
//     awards (66% within a day); LastAccessDate is off by about 40 days.
//   - Votes and accepts carry only a date, but their Ids are assigned as
//     they are cast, so within a day they come in Id order across all
//     posts (placed post by post, a member's votes could be reordered into
//     score dips that never happened). Votes on a post created that day
//     are aimed at k/(n+1) of the hour after its creation, for its n votes
//     of the day (early votes come at once: Teacher awards then match
//     within minutes); these anchor the day's Id sequence to the posts'
//     full timestamps, and the other votes are spread over the middle half
//     of the time between the anchors around them, or the day's start and
//     end (a day with no new post: 06:00-18:00). placeVotes has the detail.
//   - View counts are final values only; a question is taken to have gained
//     views at a constant rate from its creation to the end of the dump (its
//     latest timestamp), reaching 1000 at created + (end-created)*1000/views.
//     conlang.meta has no question with 1000 views to check this against.
//
// Rows whose member cannot be known (deleted users, the Community user -1,
// users missing from Users.xml) and rows on posts missing from Posts.xml
// (deleted posts) are skipped and counted in the Summary.
//
// Files are streamed row by row. What is kept is a small record per user
// and post, the votes, and the events, which must all be known before they
// can be put in order.
package stackexchange

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hearth-community/hearth/engine/events"
)

// Source is the source of every imported event.
const Source = "stackexchange"

// AboutTime chooses when a non-empty About Me is taken to have been filled
// in; the dump only has the final text.
type AboutTime int

const (
	// AboutAtCreation puts About Me in the profile event at CreationDate.
	// It is the default because it best matches Autobiographer awards.
	AboutAtCreation AboutTime = iota
	// AboutAtFirstActivity sets About Me with the user's first post,
	// comment or edit (CreationDate when there is none).
	AboutAtFirstActivity
	// AboutAtLastAccess sets About Me at the user's LastAccessDate.
	AboutAtLastAccess
)

func (a AboutTime) String() string {
	switch a {
	case AboutAtCreation:
		return "creation"
	case AboutAtFirstActivity:
		return "first-activity"
	case AboutAtLastAccess:
		return "last-access"
	}
	return "AboutTime(" + strconv.Itoa(int(a)) + ")"
}

// Options tune an import; the zero value is the documented default.
type Options struct {
	AboutAt AboutTime
	// Progress, when set, is called as files are read: every
	// ProgressEvery rows and once when a file is done.
	Progress func(file string, rows int, done bool)
}

// ProgressEvery is how many rows pass between progress calls.
const ProgressEvery = 100_000

// ViewsMark is the view count at which post.viewed is emitted (the
// Popular Question threshold).
const ViewsMark = 1000

// creationWindow is how long after a post's creation its creation-day
// votes are spread over.
const creationWindow = time.Hour

// The dump's files.
const (
	fileUsers    = "Users.xml"
	filePosts    = "Posts.xml"
	fileVotes    = "Votes.xml"
	fileComments = "Comments.xml"
	fileHistory  = "PostHistory.xml"
)

// communityUser is the id of the Community bot, which is not a member.
const communityUser = -1

type user struct {
	id                   int64
	name                 string
	created, lastSeen    time.Time
	about                string
	firstAct             time.Time
	location, website    string
	rep, up, down, views int64
}

type post struct {
	id, typ       int64
	owner         int64
	hasOwner      bool
	parent        int64
	accepted      int64 // AcceptedAnswerId, 0 when none
	created       time.Time
	title         string
	tags          []string
	length        int
	views         int64
	votes         []vote // UpMod, DownMod and AcceptedByOriginator rows
	hasAcceptVote bool
}

type vote struct {
	id, typ int64
	day     time.Time
}

// item is an event with its sort key: time, then type rank, then the
// numeric ids of the rows it came from, then the event id.
type item struct {
	ev     events.Event
	rank   int
	k1, k2 int64
}

type importer struct {
	opts     Options
	dir      string
	sum      *Summary
	users    map[int64]*user
	posts    map[int64]*post
	items    []item
	end      time.Time // latest timestamp seen, the dump's snapshot time
	guids    map[string]bool
	suggests []suggested
}

// suggested is a "suggested edit applied" history row, kept until the
// whole history is read: it is only an edit of its own when no title, body
// or tags row shares its revision (normally one does, with the proposer).
type suggested struct {
	histID, postID int64
	guid           string
	at             time.Time
	editor         int64
	hasEditor      bool
}

// Import reads the dump in dir and returns its events in time order with
// a summary. Users.xml and Posts.xml are required; a missing Votes.xml,
// Comments.xml or PostHistory.xml is noted in the summary.
func Import(ctx context.Context, dir string, opts Options) ([]events.Event, *Summary, error) {
	im := newImporter(dir, opts)
	for _, st := range im.steps() {
		if err := im.readFile(ctx, st.file, st.required, st.fn); err != nil {
			return nil, nil, err
		}
	}
	return im.build(), im.sum, nil
}

func newImporter(dir string, opts Options) *importer {
	return &importer{
		opts:  opts,
		dir:   dir,
		sum:   newSummary(dir),
		users: map[int64]*user{},
		posts: map[int64]*post{},
		guids: map[string]bool{},
	}
}

type step struct {
	file     string
	required bool
	fn       func(*row) error
}

// steps are the dump's files in reading order: users first so every other
// row can name its member, posts before the rows that refer to them.
func (im *importer) steps() []step {
	return []step{
		{fileUsers, true, im.userRow},
		{filePosts, true, im.postRow},
		{fileVotes, false, im.voteRow},
		{fileComments, false, im.commentRow},
		{fileHistory, false, im.historyRow},
	}
}

// build turns what the files left into the remaining events, sorted.
func (im *importer) build() []events.Event {
	im.postEvents()
	im.voteEvents()
	im.suggestedEdits()
	im.viewEvents()
	im.aboutEvents()
	return im.finish()
}

func (im *importer) readFile(ctx context.Context, file string, required bool, fn func(*row) error) error {
	f, err := os.Open(filepath.Join(im.dir, file))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !required {
			im.sum.Notes = append(im.sum.Notes, file+" not found: its events are missing")
			return nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s not found in %s: a Stack Exchange data dump has Users.xml, Posts.xml, Votes.xml, Comments.xml and PostHistory.xml", file, im.dir)
		}
		return err
	}
	defer f.Close()
	return im.read(ctx, f, file, fn)
}

func (im *importer) read(ctx context.Context, r io.Reader, file string, fn func(*row) error) error {
	// Event ids come from row ids, so a repeated Id (never seen in real
	// dumps) would give two events one id: the later row is skipped.
	ids := map[int64]struct{}{}
	n, err := decodeRows(ctx, r, file, func(r *row) error {
		if id, ok := r.optInt("Id"); ok {
			if _, dup := ids[id]; dup {
				im.sum.skip(file, "duplicate Id")
				return nil
			}
			ids[id] = struct{}{}
		}
		if err := fn(r); err != nil {
			return err
		}
		if im.opts.Progress != nil && r.n%ProgressEvery == 0 {
			im.opts.Progress(file, r.n, false)
		}
		return nil
	})
	if err != nil {
		return err
	}
	im.sum.Files = append(im.sum.Files, FileCount{File: file, Rows: n})
	if im.opts.Progress != nil {
		im.opts.Progress(file, n, true)
	}
	return nil
}

// seen tracks the latest time in the dump, the end of the view estimate.
func (im *importer) seen(t time.Time) {
	if t.After(im.end) {
		im.end = t
	}
}

// member resolves a user id attribute to a member, or says why it cannot.
func (im *importer) member(id int64, present bool, attr string) (*user, string) {
	switch {
	case !present:
		return nil, "no " + attr + " (deleted user)"
	case id == communityUser:
		return nil, "by the Community user (-1), not a member"
	}
	if u := im.users[id]; u != nil {
		return u, ""
	}
	return nil, attr + " not in Users.xml (deleted user)"
}

func (im *importer) add(typ string, u *user, at time.Time, id string, k1, k2 int64, attrs map[string]any) {
	im.items = append(im.items, item{
		ev: events.Event{
			ID: id, Type: typ, At: at.UTC(), Source: Source,
			Member: events.Member{ID: strconv.FormatInt(u.id, 10), Name: u.name},
			Attrs:  attrs,
		},
		rank: typeRank(typ), k1: k1, k2: k2,
	})
	switch typ {
	case "post.created", "post.edited", "message.posted":
		if u.firstAct.IsZero() || at.Before(u.firstAct) {
			u.firstAct = at
		}
	}
}

// typeRank orders events of the same instant so causes come first: a
// member joins before posting, a post exists before it is voted on.
func typeRank(typ string) int {
	switch typ {
	case "member.joined":
		return 0
	case "member.profile_updated":
		return 1
	case "post.created":
		return 2
	case "post.edited":
		return 3
	case "message.posted":
		return 4
	case "post.voted":
		return 5
	case "post.accepted":
		return 6
	}
	return 7
}

func (im *importer) userRow(r *row) error {
	id := r.reqInt("Id")
	created := r.reqTime("CreationDate")
	lastSeen, _ := r.optTime("LastAccessDate")
	rep, _ := r.optInt("Reputation")
	views, _ := r.optInt("Views")
	up, _ := r.optInt("UpVotes")
	down, _ := r.optInt("DownVotes")
	if err := r.check(); err != nil {
		return err
	}
	im.seen(created)
	im.seen(lastSeen)
	switch {
	case id == communityUser:
		im.sum.skip(r.file, "Community user (-1), not a member")
		return nil
	case id <= 0:
		im.sum.skip(r.file, "Id not positive, not a member")
		return nil
	}
	if lastSeen.Before(created) {
		lastSeen = created
	}
	u := &user{
		id: id, name: clipShort(r.str("DisplayName")), created: created, lastSeen: lastSeen,
		about: aboutText(r.str("AboutMe")), location: r.str("Location"), website: r.str("WebsiteUrl"),
		rep: rep, up: up, down: down, views: views,
	}
	im.users[id] = u
	im.sum.Members++
	im.add("member.joined", u, created, fmt.Sprintf("se:user:%d:joined", id), id, 0, map[string]any{"name": u.name})
	about := u.about
	if im.opts.AboutAt != AboutAtCreation {
		about = "" // set later, at the chosen estimate
	}
	im.add("member.profile_updated", u, created, fmt.Sprintf("se:user:%d:profile", id), id, 0, map[string]any{
		"about":      clip(about),
		"reputation": int(rep),
		"location":   clipShort(u.location),
		"website":    clipShort(u.website),
		"upvotes":    int(up),
		"downvotes":  int(down),
		"views":      int(views),
	})
	return nil
}

// aboutText is About Me as imported: "" when only blank, which is what an
// emptied profile leaves ("\n" in conlang.meta), so rules can test
// about != "" for a filled-in profile.
func aboutText(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return s
}

// aboutEvents sets About Me at the chosen estimate when it is not the
// creation date (there it is already in the first profile event).
func (im *importer) aboutEvents() {
	if im.opts.AboutAt == AboutAtCreation {
		return
	}
	for _, u := range im.sortedUsers() {
		if u.about == "" {
			continue
		}
		at := u.created
		switch im.opts.AboutAt {
		case AboutAtFirstActivity:
			if !u.firstAct.IsZero() {
				at = u.firstAct
			}
		case AboutAtLastAccess:
			at = u.lastSeen
		}
		im.add("member.profile_updated", u, at, fmt.Sprintf("se:user:%d:about", u.id), u.id, 1, map[string]any{"about": clip(u.about)})
	}
}

func (im *importer) sortedUsers() []*user {
	out := make([]*user, 0, len(im.users))
	for _, u := range im.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *user) int { return cmp.Compare(a.id, b.id) })
	return out
}

func (im *importer) sortedPosts() []*post {
	out := make([]*post, 0, len(im.posts))
	for _, p := range im.posts {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *post) int { return cmp.Compare(a.id, b.id) })
	return out
}

func (im *importer) postRow(r *row) error {
	id := r.reqInt("Id")
	typ := r.reqInt("PostTypeId")
	created := r.reqTime("CreationDate")
	owner, hasOwner := r.optInt("OwnerUserId")
	parent, _ := r.optInt("ParentId")
	accepted, _ := r.optInt("AcceptedAnswerId")
	views, _ := r.optInt("ViewCount")
	for _, name := range []string{"LastActivityDate", "LastEditDate"} {
		if t, ok := r.optTime(name); ok {
			im.seen(t)
		}
	}
	if err := r.check(); err != nil {
		return err
	}
	im.seen(created)
	im.posts[id] = &post{
		id: id, typ: typ, owner: owner, hasOwner: hasOwner, parent: parent, accepted: accepted,
		created: created, title: r.str("Title"), tags: parseTags(r.str("Tags")),
		length: utf8.RuneCountInString(r.str("Body")), views: views,
	}
	return nil
}

// parseTags reads "<a><b>" (classic dumps) and "|a|b|" (2024 dumps).
func parseTags(s string) []string {
	tags := []string{}
	s = strings.TrimSpace(s)
	if s == "" {
		return tags
	}
	var parts []string
	if strings.HasPrefix(s, "|") {
		parts = strings.Split(s, "|")
	} else {
		parts = strings.FieldsFunc(s, func(r rune) bool { return r == '<' || r == '>' })
	}
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" && len(tags) < maxTags {
			tags = append(tags, clipShort(p))
		}
	}
	return tags
}

func kindOf(typ int64) string {
	switch typ {
	case 1:
		return "question"
	case 2:
		return "answer"
	case 3:
		return "orphaned_tag_wiki"
	case 4:
		return "tag_wiki_excerpt"
	case 5:
		return "tag_wiki"
	case 6:
		return "moderator_nomination"
	case 7:
		return "wiki_placeholder"
	case 8:
		return "privilege_wiki"
	}
	return "type_" + strconv.FormatInt(typ, 10)
}

func isQA(p *post) bool { return p.typ == 1 || p.typ == 2 }

// question returns an answer's question, nil when unknown.
func (im *importer) question(p *post) *post {
	if p.typ != 2 {
		return nil
	}
	if q := im.posts[p.parent]; q != nil && q.typ == 1 {
		return q
	}
	return nil
}

// parentAttrs adds parent_id, parent_member and self_answer for answers.
func (im *importer) parentAttrs(p *post, attrs map[string]any) {
	attrs["self_answer"] = false
	if p.typ != 2 {
		return
	}
	attrs["parent_id"] = strconv.FormatInt(p.parent, 10)
	q := im.question(p)
	if q == nil || !q.hasOwner {
		return
	}
	if _, why := im.member(q.owner, true, "OwnerUserId"); why == "" {
		attrs["parent_member"] = strconv.FormatInt(q.owner, 10)
		attrs["self_answer"] = p.hasOwner && p.owner == q.owner
	}
}

func (im *importer) postEvents() {
	for _, p := range im.sortedPosts() {
		if !isQA(p) {
			im.sum.ignore(filePosts, "post type "+strconv.FormatInt(p.typ, 10)+" ("+kindOf(p.typ)+")")
			continue
		}
		u, why := im.member(p.owner, p.hasOwner, "OwnerUserId")
		if u == nil {
			im.sum.skip(filePosts, why)
			continue
		}
		attrs := map[string]any{
			"post_id": strconv.FormatInt(p.id, 10),
			"kind":    kindOf(p.typ),
			"length":  p.length,
			"score":   0,
		}
		if p.typ == 1 {
			attrs["title"] = clipShort(p.title)
			attrs["tags"] = p.tags
		} else {
			im.parentAttrs(p, attrs)
			delete(attrs, "self_answer") // not part of post.created
		}
		im.add("post.created", u, p.created, fmt.Sprintf("se:post:%d:created", p.id), p.id, 0, attrs)
	}
}

// Vote types the dump uses; only these three become events.
const (
	voteAccept = 1
	voteUp     = 2
	voteDown   = 3
)

func voteTypeName(t int64) string {
	names := [...]string{1: "AcceptedByOriginator", 2: "UpMod", 3: "DownMod", 4: "Offensive", 5: "Favorite",
		6: "Close", 7: "Reopen", 8: "BountyStart", 9: "BountyClose", 10: "Deletion",
		11: "Undeletion", 12: "Spam", 15: "ModeratorReview", 16: "ApproveEditSuggestion"}
	if t > 0 && t < int64(len(names)) && names[t] != "" {
		return names[t]
	}
	return "unknown"
}

func (im *importer) voteRow(r *row) error {
	id := r.reqInt("Id")
	postID := r.reqInt("PostId")
	typ := r.reqInt("VoteTypeId")
	day := r.reqTime("CreationDate")
	if err := r.check(); err != nil {
		return err
	}
	if typ != voteAccept && typ != voteUp && typ != voteDown {
		im.sum.ignore(r.file, fmt.Sprintf("vote type %d (%s)", typ, voteTypeName(typ)))
		return nil
	}
	p := im.posts[postID]
	if p == nil {
		im.sum.skip(r.file, "post not in Posts.xml (deleted post)")
		return nil
	}
	// Vote dates are days; keep them as such even if a dump adds a time.
	day = dayOf(day)
	im.seen(day)
	p.votes = append(p.votes, vote{id: id, typ: typ, day: day})
	if typ == voteAccept {
		p.hasAcceptVote = true
	}
	return nil
}

// castVote is one vote in the order votes were cast: by day, then Id.
type castVote struct {
	post    *post
	id, typ int64
	day     time.Time // the vote's day, never before its post's creation day
}

// voteEvents rebuilds each post's score over time from its votes and emits
// post.voted and post.accepted at estimated times within each vote's day.
func (im *importer) voteEvents() {
	// An accepted answer with no accept vote row still was accepted: date
	// it to the answer's creation day, the earliest it can have happened.
	for _, q := range im.sortedPosts() {
		if q.typ != 1 || q.accepted == 0 {
			continue
		}
		a := im.posts[q.accepted]
		if a == nil {
			im.sum.skip(filePosts, "AcceptedAnswerId not in Posts.xml (deleted post)")
			continue
		}
		if !a.hasAcceptVote {
			a.votes = append(a.votes, vote{id: fallbackAccept, typ: voteAccept, day: dayOf(a.created)})
		}
	}
	var cast []castVote
	for _, p := range im.sortedPosts() {
		for _, v := range p.votes {
			// A vote dated before its post (never seen in real dumps) is
			// taken as cast on the post's creation day.
			day := v.day
			if cd := dayOf(p.created); day.Before(cd) {
				day = cd
			}
			cast = append(cast, castVote{post: p, id: v.id, typ: v.typ, day: day})
		}
		p.votes = nil // cast holds them from here on
	}
	// Vote Ids are assigned as votes are cast, so within a day they give
	// the order across posts; the post id only separates fallback accepts.
	slices.SortFunc(cast, func(a, b castVote) int {
		return cmp.Or(a.day.Compare(b.day), cmp.Compare(a.id, b.id), cmp.Compare(a.post.id, b.post.id))
	})
	times := placeVotes(cast)
	scores := map[int64]int{}
	for i, v := range cast {
		p := v.post
		switch v.typ {
		case voteUp:
			scores[p.id]++
		case voteDown:
			scores[p.id]--
		}
		score := scores[p.id]
		owner, why := im.member(p.owner, p.hasOwner, "OwnerUserId")
		why = "post owner: " + why
		if !isQA(p) {
			owner, why = nil, "vote on a "+kindOf(p.typ)+", not a question or answer"
		}
		if owner == nil {
			im.sum.skip(fileVotes, why)
			continue
		}
		postID := strconv.FormatInt(p.id, 10)
		if v.typ == voteAccept {
			if p.typ != 2 {
				im.sum.skip(fileVotes, "accept vote on a question")
				continue
			}
			attrs := map[string]any{"post_id": postID, "score": score}
			im.parentAttrs(p, attrs)
			id := fmt.Sprintf("se:vote:%d:accepted", v.id)
			if v.id == fallbackAccept {
				id = fmt.Sprintf("se:post:%d:accepted", p.id)
			}
			im.add("post.accepted", owner, times[i], id, p.id, v.id, attrs)
			continue
		}
		dir := "up"
		if v.typ == voteDown {
			dir = "down"
		}
		attrs := map[string]any{"post_id": postID, "kind": kindOf(p.typ), "vote": dir, "score": score}
		im.parentAttrs(p, attrs)
		im.add("post.voted", owner, times[i], fmt.Sprintf("se:vote:%d:voted", v.id), p.id, v.id, attrs)
	}
}

// fallbackAccept is the vote id of an acceptance known only from
// AcceptedAnswerId; it sorts after the real votes of its day.
const fallbackAccept = int64(1<<63 - 1)

func dayOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// placeVotes gives each vote (sorted by day, then Id) a time, strictly
// increasing in that order and always after the vote's post was created.
//
// Within a day, votes on posts created that day are anchors: a post's n
// votes of its creation day are aimed at k/(n+1) of the hour after its
// creation (or what is left of the day), since early votes come at once.
// An anchor is kept when its aim is after the anchor kept before it in Id
// order; otherwise Ids prove it later than its aim and it is placed as the
// other votes are. Those (votes on older posts) go between the kept
// anchors around them, or the day's start and end: a vote with a smaller
// Id than the first vote on a post created at 14:00 was cast before that
// vote, one with a larger Id after it. The m votes of a gap are spread
// evenly over its middle half, at 1/4 + k/(2(m+1)): the middle is the
// least-bad guess for an unknown time, and a run of Ids is often one
// member voting in one sitting, not votes spread over the whole gap (on
// conlang.meta this matches the vote badges' award times as well as an
// even spread over the whole gap, and Self-Learner's better).
func placeVotes(votes []castVote) []time.Time {
	out := make([]time.Time, len(votes))
	var prev time.Time
	for i := 0; i < len(votes); {
		j := i
		for j < len(votes) && votes[j].day.Equal(votes[i].day) {
			j++
		}
		prev = placeDay(votes[i:j], out[i:j], prev)
		i = j
	}
	return out
}

// placeDay places one day's votes into out and returns the last time.
func placeDay(votes []castVote, out []time.Time, prev time.Time) time.Time {
	start := votes[0].day
	end := start.Add(24 * time.Hour)
	onCreationDay := func(v castVote) bool {
		return !v.post.created.Before(start) && v.post.created.Before(end)
	}
	n := map[int64]int{} // creation-day votes per post
	for _, v := range votes {
		if onCreationDay(v) {
			n[v.post.id]++
		}
	}
	type anchor struct {
		i  int
		at time.Time
	}
	var anchors []anchor
	k := map[int64]int{}
	last := start
	for i, v := range votes {
		if !onCreationDay(v) {
			continue
		}
		k[v.post.id]++
		created := v.post.created
		wEnd := created.Add(creationWindow)
		if wEnd.After(end) {
			wEnd = end
		}
		step := wEnd.Sub(created) / time.Duration(n[v.post.id]+1) // no overflow, unlike span*k
		at := created.Add(step * time.Duration(k[v.post.id])).Truncate(time.Millisecond)
		if at.After(last) {
			anchors = append(anchors, anchor{i, at})
			last = at
		}
	}
	anchors = append(anchors, anchor{len(votes), end}) // the day's end closes the last gap
	lo, loAt := -1, start
	for _, a := range anchors {
		m := a.i - lo - 1
		quarter := a.at.Sub(loAt) / 4
		step := 2 * quarter / time.Duration(m+1) // no overflow, unlike span*k
		for q := range m {
			out[lo+1+q] = loAt.Add(quarter + step*time.Duration(q+1)).Truncate(time.Millisecond)
		}
		if a.i < len(votes) {
			out[a.i] = a.at
		}
		lo, loAt = a.i, a.at
	}
	// Truncation, crowded hours and dumps that break the rules can leave
	// a time at or before the previous vote or the post: 1ms after both.
	for i, v := range votes {
		floor := prev
		if v.post.created.After(floor) {
			floor = v.post.created
		}
		if !out[i].After(floor) {
			out[i] = floor.Add(time.Millisecond)
		}
		prev = out[i]
	}
	return prev
}

func (im *importer) commentRow(r *row) error {
	id := r.reqInt("Id")
	postID := r.reqInt("PostId")
	at := r.reqTime("CreationDate")
	uid, hasUser := r.optInt("UserId")
	if err := r.check(); err != nil {
		return err
	}
	im.seen(at)
	u, why := im.member(uid, hasUser, "UserId")
	if u == nil {
		im.sum.skip(r.file, why)
		return nil
	}
	text := r.str("Text")
	im.add("message.posted", u, at, fmt.Sprintf("se:comment:%d:posted", id), id, 0, map[string]any{
		"post_id": strconv.FormatInt(postID, 10),
		"channel": "comments",
		"length":  utf8.RuneCountInString(text),
		"text":    clip(text),
	})
	return nil
}

// editField returns the field a PostHistory edit type changes.
func editField(typ int64) (string, bool) {
	switch typ {
	case 4:
		return "title", true
	case 5:
		return "body", true
	case 6:
		return "tags", true
	}
	return "", false
}

const historySuggested = 24

func historyTypeName(t int64) string {
	names := [...]string{1: "initial title", 2: "initial body", 3: "initial tags", 7: "rollback title", 8: "rollback body",
		9: "rollback tags", 10: "post closed", 11: "post reopened", 12: "post deleted", 13: "post undeleted",
		14: "post locked", 15: "post unlocked", 16: "community owned", 17: "post migrated", 18: "question merged",
		19: "question protected", 20: "question unprotected", 22: "question unmerged", 25: "post tweeted",
		33: "post notice added", 34: "post notice removed", 35: "post migrated away", 36: "post migrated here",
		37: "post merge source", 38: "post merge destination", 50: "bumped by Community",
		52: "question became hot", 53: "question removed from hot"}
	if t > 0 && t < int64(len(names)) && names[t] != "" {
		return names[t]
	}
	return "not an edit"
}

func (im *importer) historyRow(r *row) error {
	id := r.reqInt("Id")
	typ := r.reqInt("PostHistoryTypeId")
	postID := r.reqInt("PostId")
	at := r.reqTime("CreationDate")
	uid, hasUser := r.optInt("UserId")
	if err := r.check(); err != nil {
		return err
	}
	im.seen(at)
	field, isEdit := editField(typ)
	if typ == historySuggested {
		s := suggested{histID: id, postID: postID, guid: r.str("RevisionGUID"), at: at, editor: uid, hasEditor: hasUser}
		if !hasUser {
			// The applied-suggestion row names the proposer only in its
			// comment: "Proposed by 149 approved by 142 edit id of 1".
			if f := strings.Fields(r.str("Comment")); len(f) >= 3 && f[0] == "Proposed" && f[1] == "by" {
				s.editor, s.hasEditor = parseID(f[2])
			}
		}
		im.suggests = append(im.suggests, s)
		return nil
	}
	if !isEdit {
		im.sum.ignore(r.file, fmt.Sprintf("history type %d (%s)", typ, historyTypeName(typ)))
		return nil
	}
	if g := r.str("RevisionGUID"); g != "" {
		im.guids[g] = true
	}
	return im.edit(r.file, id, postID, at, uid, hasUser, field)
}

func (im *importer) edit(file string, histID, postID int64, at time.Time, uid int64, hasUser bool, field string) error {
	p := im.posts[postID]
	if p == nil {
		im.sum.skip(file, "post not in Posts.xml (deleted post)")
		return nil
	}
	u, why := im.member(uid, hasUser, "UserId")
	if u == nil {
		im.sum.skip(file, why)
		return nil
	}
	attrs := map[string]any{"post_id": strconv.FormatInt(postID, 10), "kind": kindOf(p.typ), "field": field}
	if p.hasOwner {
		attrs["owner"] = strconv.FormatInt(p.owner, 10)
	}
	im.add("post.edited", u, at, fmt.Sprintf("se:history:%d:edited", histID), histID, 0, attrs)
	return nil
}

// suggestedEdits emits applied suggestions that have no title, body or
// tags row of their own; the others are already edits of their proposer.
func (im *importer) suggestedEdits() {
	for _, s := range im.suggests {
		if s.guid != "" && im.guids[s.guid] {
			im.sum.ignore(fileHistory, "history type 24 (suggested edit applied) already imported as its title, body or tags row")
			continue
		}
		_ = im.edit(fileHistory, s.histID, s.postID, s.at, s.editor, s.hasEditor, "body")
	}
}

func parseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// viewEvents emits post.viewed for questions whose final ViewCount reached
// the mark, at the constant-rate estimate described in the package doc.
func (im *importer) viewEvents() {
	for _, p := range im.sortedPosts() {
		if p.typ != 1 || p.views < ViewsMark {
			continue
		}
		u, why := im.member(p.owner, p.hasOwner, "OwnerUserId")
		if u == nil {
			im.sum.skip(filePosts, "post.viewed: "+why)
			continue
		}
		span := im.end.Sub(p.created)
		at := p.created.Add(time.Duration(float64(span) * float64(ViewsMark) / float64(p.views))).Truncate(time.Millisecond)
		if !at.After(p.created) {
			at = p.created.Add(time.Millisecond)
		}
		im.add("post.viewed", u, at, fmt.Sprintf("se:post:%d:viewed:%d", p.id, ViewsMark), p.id, 0, map[string]any{
			"post_id": strconv.FormatInt(p.id, 10), "kind": "question", "views": ViewsMark,
		})
	}
}

// finish sorts the events into their one stable order and fills the
// summary's counts.
func (im *importer) finish() []events.Event {
	slices.SortFunc(im.items, func(a, b item) int {
		return cmp.Or(a.ev.At.Compare(b.ev.At), cmp.Compare(a.rank, b.rank),
			cmp.Compare(a.k1, b.k1), cmp.Compare(a.k2, b.k2), strings.Compare(a.ev.ID, b.ev.ID))
	})
	out := make([]events.Event, len(im.items))
	for i, it := range im.items {
		out[i] = it.ev
		im.sum.Events[it.ev.Type]++
	}
	im.sum.Total = len(out)
	if len(out) > 0 {
		im.sum.First, im.sum.Last = out[0].At, out[len(out)-1].At
	}
	im.sum.sortCounts()
	return out
}

// Attribute size caps, far above what Stack Exchange allows (About Me
// about 3000 characters, comments 600, titles 150, tags 35), so a real
// dump is never cut, yet a hostile one cannot make an event line over
// events.MaxLineBytes even when JSON escaping grows it sixfold.
const (
	maxText  = 24 << 10 // About Me, comment text
	maxShort = 1 << 10  // names, titles, locations, websites, tags
	maxTags  = 32
)

// clip keeps a long string attribute within its cap.
func clip(s string) string { return truncate(s, maxText) }

// clipShort keeps a short string attribute within its cap.
func clipShort(s string) string { return truncate(s, maxShort) }
