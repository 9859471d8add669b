// Package survey turns survey blocks into messages members can answer and
// answers into feedback.submitted events: the text a campaign step sends,
// the reply members type ("pulse recommend 9"), and the checks every
// answer passes, whichever way it arrives (a chat reply, `hearth local
// answer`, POST /v1/feedback).
package survey

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/events"
)

// EventType is the type of the events answers become.
const EventType = "feedback.submitted"

// Answer is a member's answer to one question.
type Answer struct {
	Survey   string
	Question string
	Score    int    // 0-10 for score questions, -1 otherwise
	Choice   string // for choice questions
	Comment  string
}

// ErrInvalid is wrapped by every refused answer.
var ErrInvalid = errors.New("invalid answer")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Lookup finds surveys by name.
type Lookup interface {
	Survey(name string) *config.Survey
}

// Check refuses an answer to an unknown survey or question, a score
// outside 0-10, a choice not offered, or a score given to a choice
// question (and the reverse).
func Check(surveys Lookup, a Answer) error {
	s := surveys.Survey(a.Survey)
	if s == nil {
		return invalid("there is no survey %q", a.Survey)
	}
	q := s.Question(a.Question)
	if q == nil {
		return invalid("survey %q has no question %q; it has %s", a.Survey, a.Question, strings.Join(questionIDs(s), ", "))
	}
	if q.Score {
		if a.Choice != "" {
			return invalid("question %q of survey %q takes a score from 0 to 10, not a choice", a.Question, a.Survey)
		}
		if a.Score < 0 || a.Score > 10 {
			return invalid("question %q of survey %q takes a score from 0 to 10, got %d", a.Question, a.Survey, a.Score)
		}
		return nil
	}
	if a.Score >= 0 {
		return invalid("question %q of survey %q takes one of %s, not a score", a.Question, a.Survey, strings.Join(q.Choices, ", "))
	}
	for _, c := range q.Choices {
		if c == a.Choice {
			return nil
		}
	}
	return invalid("question %q of survey %q takes one of %s, got %q", a.Question, a.Survey, strings.Join(q.Choices, ", "), a.Choice)
}

func questionIDs(s *config.Survey) []string {
	out := make([]string, len(s.Questions))
	for i, q := range s.Questions {
		out[i] = q.ID
	}
	return out
}

// Value reads an answer's value as the question expects it: a whole
// number for a score question, the choice's id otherwise.
func Value(surveys Lookup, surveyName, question, value string) (Answer, error) {
	a := Answer{Survey: surveyName, Question: question, Score: -1}
	s := surveys.Survey(surveyName)
	if s == nil {
		return a, invalid("there is no survey %q", surveyName)
	}
	q := s.Question(question)
	if q == nil {
		return a, invalid("survey %q has no question %q; it has %s", surveyName, question, strings.Join(questionIDs(s), ", "))
	}
	if q.Score {
		n, err := strconv.Atoi(value)
		if err != nil {
			return a, invalid("question %q of survey %q takes a score from 0 to 10, got %q", question, surveyName, value)
		}
		a.Score = n
	} else {
		a.Choice = value
	}
	return a, Check(surveys, a)
}

// ParseReply reads a reply such as "pulse recommend 9" or "pulse
// recommend=9 more_of=events": the survey, then pairs of question and
// answer. ok is false when the text is not a reply to a survey at all
// (its first word names no survey), so ordinary messages pass by; a reply
// that names a survey but is malformed is an error.
func ParseReply(surveys Lookup, text string) (answers []Answer, ok bool, err error) {
	words := strings.Fields(strings.Map(halfWidth, text))
	if len(words) == 0 || len(words) > 64 {
		return nil, false, nil
	}
	// Phones capitalise the first word and people type as they like:
	// "Pulse Recommend 9" and "pulse more_of Market" are answers too.
	s := find(surveys, strings.TrimPrefix(words[0], "/"))
	if s == nil {
		return nil, false, nil
	}
	name := s.Name
	var pairs [][2]string
	rest := words[1:]
	for len(rest) > 0 {
		if q, v, eq := strings.Cut(rest[0], "="); eq {
			pairs = append(pairs, [2]string{q, v})
			rest = rest[1:]
			continue
		}
		if len(rest) < 2 {
			return nil, true, invalid("%q has no answer; reply such as %q", rest[0], example(surveys.Survey(name)))
		}
		pairs = append(pairs, [2]string{rest[0], rest[1]})
		rest = rest[2:]
	}
	if len(pairs) == 0 {
		return nil, true, invalid("no answer; reply such as %q", example(surveys.Survey(name)))
	}
	seen := map[string]bool{}
	for _, p := range pairs {
		if q := question(s, p[0]); q != nil {
			p[0] = q.ID
			if !q.Score {
				p[1] = choice(q, p[1])
			}
		}
		if seen[p[0]] {
			return nil, true, invalid("question %q answered twice", p[0])
		}
		seen[p[0]] = true
		a, err := Value(surveys, name, p[0], p[1])
		if err != nil {
			return nil, true, err
		}
		answers = append(answers, a)
	}
	return answers, true, nil
}

// find is the survey named name, or else the one whose name differs
// from it only in case.
func find(surveys Lookup, name string) *config.Survey {
	if s := surveys.Survey(name); s != nil {
		return s
	}
	if low := strings.ToLower(name); low != name {
		return surveys.Survey(low)
	}
	return nil
}

// question is the survey's question id, or else the one that differs
// from it only in case.
func question(s *config.Survey, id string) *config.Question {
	if q := s.Question(id); q != nil {
		return q
	}
	for _, q := range s.Questions {
		if strings.EqualFold(q.ID, id) {
			return q
		}
	}
	return nil
}

// choice is the question's choice written as value, ignoring case; value
// itself when none is.
func choice(q *config.Question, value string) string {
	if slices.Contains(q.Choices, value) {
		return value
	}
	for _, c := range q.Choices {
		if strings.EqualFold(c, value) {
			return c
		}
	}
	return value
}

// halfWidth reads full-width letters, digits and signs, which Chinese and
// Japanese input methods type, as their ASCII forms ("ｐｕｌｓｅ ９" is
// "pulse 9"), and the ideographic space as a space.
func halfWidth(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFF01 + '!'
	case r == 0x3000:
		return ' '
	}
	return r
}

// example is a reply to the survey's first question.
func example(s *config.Survey) string {
	if len(s.Questions) == 0 {
		return s.Name
	}
	return s.Name + " " + exampleAnswer(s.Questions[0])
}

// exampleQuestions bounds the questions the example of several answers
// names: enough to show the form, short enough for a chat message.
const exampleQuestions = 3

// exampleSeveral is a reply answering the survey's first questions at
// once, in the form ParseReply reads ("pulse recommend 9 more_of
// workshops"); "" for a survey of one question, where there is nothing
// more to show.
func exampleSeveral(s *config.Survey) string {
	if len(s.Questions) < 2 {
		return ""
	}
	parts := []string{s.Name}
	for _, q := range s.Questions[:min(len(s.Questions), exampleQuestions)] {
		parts = append(parts, exampleAnswer(q))
	}
	return strings.Join(parts, " ")
}

// exampleAnswer is a question and an answer to it: 9 for a score, the
// first choice otherwise.
func exampleAnswer(q *config.Question) string {
	if q.Score || len(q.Choices) == 0 {
		return q.ID + " 9"
	}
	return q.ID + " " + q.Choices[0]
}

// Event is the feedback.submitted event of an answer. id must be unique
// per answer: it is the idempotency key.
func Event(id, member string, at time.Time, source string, a Answer) events.Event {
	attrs := map[string]any{"survey": a.Survey, "question": a.Question}
	if a.Score >= 0 {
		attrs["score"] = a.Score
	}
	if a.Choice != "" {
		attrs["choice"] = a.Choice
	}
	if a.Comment != "" {
		attrs["comment"] = a.Comment
	}
	return events.Event{ID: id, Type: EventType, Member: events.Member{ID: member}, At: at, Source: source, Attrs: attrs}
}

// FromEvent reads the answer a feedback.submitted event carries; ok is
// false when it has no survey and question.
func FromEvent(ev *events.Event) (Answer, bool) {
	a := Answer{Score: -1}
	a.Survey, _ = ev.Attrs["survey"].(string)
	a.Question, _ = ev.Attrs["question"].(string)
	a.Choice, _ = ev.Attrs["choice"].(string)
	a.Comment, _ = ev.Attrs["comment"].(string)
	switch n := ev.Attrs["score"].(type) {
	case int:
		a.Score = n
	case float64:
		if n == float64(int(n)) {
			a.Score = int(n)
		} else {
			a.Score = 11 // refused by Check
		}
	}
	return a, a.Survey != "" && a.Question != ""
}

// words holds the few fixed phrases of a survey message per language:
// the score's scale, how to reply, and how to answer several questions
// in one reply.
var words = map[string][3]string{
	"en": {"score from 0 (not at all) to 10 (very)", "Reply with the survey, the question and your answer, such as", "or answer several at once, such as"},
	"zh": {"打分：0（完全不会）到 10（非常可能）", "回复问卷名、问题和答案即可，例如", "也可以一次回答多个问题，例如"},
}

// Text is the survey as a message in the member's locale: the title, each
// question with its answers, and how to reply.
func Text(s *config.Survey, locale string) string {
	lang, _, _ := strings.Cut(locale, "-")
	w, ok := words[lang]
	if !ok {
		w = words["en"]
	}
	var b strings.Builder
	b.WriteString(s.Title)
	b.WriteString("\n")
	for i, q := range s.Questions {
		fmt.Fprintf(&b, "%d. %s\n", i+1, questionText(q, locale, s.DefaultLocale))
		if q.Score {
			fmt.Fprintf(&b, "   %s: %s\n", q.ID, w[0])
		} else {
			fmt.Fprintf(&b, "   %s: %s\n", q.ID, strings.Join(q.Choices, " | "))
		}
	}
	fmt.Fprintf(&b, "%s \"%s\"", w[1], example(s))
	if several := exampleSeveral(s); several != "" {
		fmt.Fprintf(&b, "; %s \"%s\"", w[2], several)
	}
	b.WriteString(".")
	return b.String()
}

// questionText picks the member's locale, then its language, then any
// text in that language, then the default.
func questionText(q *config.Question, locale, def string) string {
	if t, ok := q.Text[locale]; ok && locale != "" {
		return t
	}
	lang, _, _ := strings.Cut(locale, "-")
	if t, ok := q.Text[lang]; ok && lang != "" {
		return t
	}
	var near []string
	for loc := range q.Text {
		if lang != "" && strings.HasPrefix(loc, lang+"-") {
			near = append(near, loc)
		}
	}
	if len(near) > 0 {
		sort.Strings(near)
		return q.Text[near[0]]
	}
	return q.Text[def]
}

// NotUnderstood is the message a member gets when a reply names a survey
// but cannot be read as answers: why, and how to answer.
func NotUnderstood(err error, locale string) string {
	why := strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ")
	if lang, _, _ := strings.Cut(locale, "-"); lang == "zh" {
		return "抱歉，没能读懂你的回答：" + why + "。"
	}
	return "Sorry, your answer was not recorded: " + why + "."
}
