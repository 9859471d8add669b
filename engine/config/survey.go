package config

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Survey is a survey block: questions a campaign step can send, answered
// by members with feedback.submitted events.
type Survey struct {
	Name        string
	Title       string
	Description string
	// DefaultLocale is the locale questions fall back to.
	DefaultLocale string
	Questions     []*Question
	DeclRange     hcl.Range
}

// Question is one question of a survey: a 0-10 score or one of Choices.
type Question struct {
	ID      string
	Text    map[string]string // locale -> text
	Score   bool
	Choices []string
}

// Question returns the survey's question with the id, or nil.
func (s *Survey) Question(id string) *Question {
	for _, q := range s.Questions {
		if q.ID == id {
			return q
		}
	}
	return nil
}

// Survey returns the survey with the name, or nil.
func (c *Config) Survey(name string) *Survey {
	for _, s := range c.Surveys {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// surveySpec is the schema of survey blocks, also listed in Root.
var surveySpec = &Block{
	Type: "survey", Labels: []string{"name"},
	Doc: "Questions for members: a campaign step sends them (send { survey = survey.NAME }), members answer by replying (on the local platform: `hearth local reply`) or through POST /v1/feedback, and each answer is a feedback.submitted event that rules can use. Score questions give the NPS per segment and tier in `hearth report`.",
	Example: `survey "pulse" {
  title = "Monthly pulse"
  question "recommend" {
    text  = { en = "How likely are you to recommend us to a friend?", zh-CN = "你有多大可能向朋友推荐我们？" }
    score = true
  }
  question "more_of" {
    text    = { en = "What should we do more of?" }
    choices = ["events", "tutorials", "showcases"]
  }
}`,
	Attrs: []Attr{
		{Name: "title", Kind: KindString, Doc: "Shown above the questions.", Default: "the survey's name"},
		{Name: "description", Kind: KindString, Doc: "What the survey is for."},
		{Name: "default_locale", Kind: KindString, Doc: "Locale questions fall back to; defaults to hearth.default_locale."},
	},
	Blocks: []*Block{{
		Type: "question", Labels: []string{"id"},
		Doc: "One question; its id is what members answer with and what feedback.submitted carries as question.",
		Attrs: []Attr{
			{Name: "text", Kind: KindStringMap, Required: true, Doc: "The question per locale, such as { en = \"...\", zh-CN = \"...\" }."},
			{Name: "score", Kind: KindBool, Doc: "A 0-10 score (9-10 promoters, 7-8 passives, 0-6 detractors): the NPS question.", Default: "false"},
			{Name: "choices", Kind: KindStringList, Doc: "The answers a member picks one of (ids: letters, digits, _ and -)."},
		},
	}},
}

func (l *loader) decodeSurvey(hb *hcl.Block) {
	name := hb.Labels[0]
	if !l.checkName("survey", hb) || !l.declare("survey", name, hb.DefRange) {
		return
	}
	b := l.open(hb, surveySpec)
	s := &Survey{Name: name, Title: b.str("title"), Description: b.str("description"), DefaultLocale: b.str("default_locale"), DeclRange: hb.DefRange}
	if s.Title == "" {
		s.Title = name
	}
	if a := b.attr("default_locale"); a != nil && s.DefaultLocale != "" && !localeRe.MatchString(s.DefaultLocale) {
		l.errorf(a.Expr.Range().Ptr(), "Invalid locale", "%q is not a locale tag; use forms such as en, en-GB or zh-CN.", s.DefaultLocale)
		s.DefaultLocale = ""
	}
	if s.DefaultLocale == "" {
		s.DefaultLocale = l.cfg.Settings.DefaultLocale
	}
	seen := map[string]hcl.Range{}
	folded := map[string]string{} // replies are read whatever their case
	for _, qb := range b.blocks("question") {
		if !l.checkName("question", qb) || !l.unique(seen, "question", qb) {
			continue
		}
		if other, ok := folded[strings.ToLower(qb.Labels[0])]; ok {
			l.errorf(&qb.DefRange, "Questions differ only in case", "question %q and question %q read the same in a reply, which is read whatever its case: rename one.", qb.Labels[0], other)
			continue
		}
		folded[strings.ToLower(qb.Labels[0])] = qb.Labels[0]
		qd := l.open(qb, surveySpec.block("question"))
		q := &Question{ID: qb.Labels[0], Text: qd.strMap("text"), Score: qd.boolean("score", false), Choices: qd.strList("choices")}
		if a := qd.attr("text"); a != nil && q.Text != nil {
			if _, ok := q.Text[s.DefaultLocale]; !ok {
				l.errorf(a.Expr.Range().Ptr(), "No text for the default locale", "question %q of survey %q falls back to %q, but text has no %q entry. Add one or set default_locale on the survey.", q.ID, name, s.DefaultLocale, s.DefaultLocale)
			}
		}
		ca := qd.attr("choices")
		switch {
		case q.Score && ca != nil:
			l.errorf(ca.Expr.Range().Ptr(), "Score question with choices", "question %q is a 0-10 score; remove choices, or remove score = true to make it a choice question.", q.ID)
		case !q.Score && len(q.Choices) == 0 && !qd.reported("score") && !qd.reported("choices"):
			// A score or choices written but wrong is reported for itself.
			l.errorf(&qb.DefRange, "Question without answers", "question %q needs score = true (a 0-10 score) or choices = [\"...\", ...].", q.ID)
		}
		cseen := map[string]bool{}
		for _, c := range q.Choices {
			// Unique whatever the case: a reply "Yes" is read as "yes".
			if !nameRe.MatchString(c) || cseen[strings.ToLower(c)] {
				l.errorf(ca.Expr.Range().Ptr(), "Invalid choice", "choice %q of question %q must be unique (whatever its case) and start with a letter, then letters, digits, underscores or dashes, because members answer with it.", c, q.ID)
				break
			}
			cseen[strings.ToLower(c)] = true
		}
		s.Questions = append(s.Questions, q)
	}
	if len(s.Questions) == 0 && len(seen) == 0 {
		l.errorf(&hb.DefRange, "Survey without questions", "survey %q needs at least one question block.", name)
	}
	l.cfg.Surveys = append(l.cfg.Surveys, s)
}
