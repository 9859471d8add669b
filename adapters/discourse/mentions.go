package discourse

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/platform"
)

// atName is an @name Discourse could turn into a mention: the @ must not
// follow a letter, digit or the like, so an email address is not one.
var atName = regexp.MustCompile(`(^|[^\p{L}\p{N}_.@-])@([\p{L}\p{N}_][\p{L}\p{N}_.-]*)`)

// wordJoiner goes between the @ and a crowd's name: the text reads the
// same, and Discourse finds no mention in it.
const wordJoiner = "\u2060"

// crowdsFor is how long the forum's group names are kept before they are
// read again.
const crowdsFor = 5 * time.Minute

// crowds caches the names whose mention notifies many people: every group
// (automatic ones like staff and admins too) and @here / @all.
type crowds struct {
	mu    sync.Mutex
	names map[string]bool
	at    time.Time
}

// quietMentions shows group mentions and @here in text as text. A template
// quotes what members wrote, and a member named "@staff" must not notify
// the staff through hearth's admin user; single users' mentions stay.
func (c *Conn) quietMentions(ctx context.Context, text string) string {
	if c.massMentions || !strings.Contains(text, "@") {
		return text
	}
	names, err := c.crowdNames(ctx)
	if err != nil {
		// Without the group list every @name is kept quiet: a message
		// that mentions no one beats one that may notify a crowd.
		c.log.Warn("discourse: could not read the groups; every @mention in the message is sent as text", "err", err)
	}
	return atName.ReplaceAllStringFunc(text, func(m string) string {
		at := strings.IndexByte(m, '@')
		name := strings.ToLower(strings.TrimRight(m[at+1:], ".-"))
		if err != nil || names[name] {
			return m[:at+1] + wordJoiner + m[at+1:]
		}
		return m
	})
}

// crowdMentions finds the @here and @all in a text, which are crowds on
// every forum (validate cannot know the forum's group names).
func crowdMentions(text string) []config.Found {
	var out []config.Found
	for _, m := range atName.FindAllStringSubmatchIndex(text, -1) {
		name := strings.ToLower(strings.TrimRight(text[m[4]:m[5]], ".-"))
		if name == "here" || name == "all" {
			at := m[4] - 1
			out = append(out, config.Found{Text: text[at:m[5]], Start: at})
		}
	}
	return out
}

// Shape is the text of a message as Discourse gets it (platform.Shaper):
// which @names are groups only the forum knows, so the text is left as
// it is and the note says what happens to them at send time.
func (a *Adapter) Shape(req platform.ShapeRequest) (platform.ShapeResponse, error) {
	mass, err := platform.SettingBool(req.Settings, "mass_mentions", false)
	if err != nil {
		return platform.ShapeResponse{}, err
	}
	out := platform.ShapeResponse{Text: req.Text}
	if !mass && atName.MatchString(req.Text) {
		out.Note = "Discourse gets each @name of a group (and @here, @all) in this text as text, a word joiner after its @, by the forum's groups as read at send time: those notify no one; mentions of single users do."
	}
	return out, nil
}

func (c *Conn) crowdNames(ctx context.Context) (map[string]bool, error) {
	c.crowds.mu.Lock()
	defer c.crowds.mu.Unlock()
	if c.crowds.names != nil && c.now().Sub(c.crowds.at) < crowdsFor {
		return c.crowds.names, nil
	}
	names := map[string]bool{"here": true, "all": true}
	for page := 0; ; page++ {
		groups, more, err := c.api.Groups(ctx, page)
		if err != nil {
			return names, err
		}
		for _, g := range groups {
			names[strings.ToLower(g.Name)] = true
		}
		if !more || len(groups) == 0 {
			break
		}
	}
	c.crowds.names, c.crowds.at = names, c.now()
	return names, nil
}
