package survey_test

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/config"
	"github.com/hearth-community/hearth/engine/survey"
)

type surveys []*config.Survey

func (s surveys) Survey(name string) *config.Survey {
	for _, x := range s {
		if x.Name == name {
			return x
		}
	}
	return nil
}

var pulse = surveys{{
	Name: "pulse", Title: "Guild pulse", DefaultLocale: "en",
	Questions: []*config.Question{
		{ID: "recommend", Score: true, Text: map[string]string{"en": "Recommend us?", "zh-CN": "推荐我们吗？"}},
		{ID: "more_of", Choices: []string{"workshops", "market"}, Text: map[string]string{"en": "More of what?"}},
	},
}}

func TestText(t *testing.T) {
	want := "Guild pulse\n" +
		"1. Recommend us?\n   recommend: score from 0 (not at all) to 10 (very)\n" +
		"2. More of what?\n   more_of: workshops | market\n" +
		"Reply with the survey, the question and your answer, such as \"pulse recommend 9\"; or answer several at once, such as \"pulse recommend 9 more_of workshops\"."
	if got := survey.Text(pulse[0], "en-GB"); got != want {
		t.Errorf("en:\n%s\nwant:\n%s", got, want)
	}
	zh := survey.Text(pulse[0], "zh-TW")
	if !strings.Contains(zh, "1. 推荐我们吗？") || !strings.Contains(zh, "2. More of what?") || !strings.Contains(zh, "回复问卷名") {
		t.Errorf("zh-TW falls back to zh-CN, then to the default locale:\n%s", zh)
	}
}

// The replies a survey message gives as examples are read back as the
// answers they show: one answer, then several at once (the first three
// questions at most); a survey of one question shows no second form.
func TestTextExamplesParse(t *testing.T) {
	long := &config.Survey{Name: "long", Title: "Long", DefaultLocale: "en", Questions: []*config.Question{
		{ID: "mood", Choices: []string{"good", "bad"}, Text: map[string]string{"en": "Mood?"}},
		{ID: "nps", Score: true, Text: map[string]string{"en": "Recommend?"}},
		{ID: "Topic", Choices: []string{"Go", "rust"}, Text: map[string]string{"en": "Topic?"}},
		{ID: "fourth", Score: true, Text: map[string]string{"en": "Fourth?"}},
	}}
	one := &config.Survey{Name: "one", Title: "One", DefaultLocale: "en", Questions: []*config.Question{
		{ID: "nps", Score: true, Text: map[string]string{"en": "Recommend?"}},
	}}
	all := append(surveys{long, one}, pulse...)
	quoted := regexp.MustCompile(`"([^"]*)"`)
	for _, c := range []struct {
		s    *config.Survey
		want []string
	}{
		{pulse[0], []string{"recommend=9", "recommend=9 more_of=workshops"}},
		{long, []string{"mood=good", "mood=good nps=9 Topic=Go"}},
		{one, []string{"nps=9"}},
	} {
		for _, locale := range []string{"en", "zh-CN"} {
			text := survey.Text(c.s, locale)
			var got []string
			for _, m := range quoted.FindAllStringSubmatch(text, -1) {
				answers, ok, err := survey.ParseReply(all, m[1])
				if !ok || err != nil {
					t.Errorf("%s %s: example %q: ok %v, %v", c.s.Name, locale, m[1], ok, err)
				}
				got = append(got, answerList(answers))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s %s: examples read as %q; want %q\n%s", c.s.Name, locale, got, c.want, text)
			}
		}
	}
}

// answerList is answers as "question=value ...".
func answerList(answers []survey.Answer) string {
	var out []string
	for _, a := range answers {
		v := a.Choice
		if a.Score >= 0 {
			v = strconv.Itoa(a.Score)
		}
		out = append(out, a.Question+"="+v)
	}
	return strings.Join(out, " ")
}

func TestParseReply(t *testing.T) {
	for _, c := range []struct {
		text    string
		ok      bool
		answers string
		err     string
	}{
		{"hello everyone", false, "", ""},
		{"", false, "", ""},
		{"pulse recommend 9", true, "recommend=9", ""},
		{"/pulse recommend=10 more_of=market", true, "recommend=10 more_of=market", ""},
		{"  pulse  more_of  workshops  ", true, "more_of=workshops", ""},
		{"pulse　recommend　９", true, "recommend=9", ""},
		{"pulse recommend＝１０", true, "recommend=10", ""},
		{"pulse", true, "", "no answer"},
		{"pulse recommend", true, "", `"recommend" has no answer`},
		{"pulse recommend 11", true, "", "from 0 to 10, got 11"},
		{"pulse recommend nine", true, "", `got "nine"`},
		{"pulse more_of memes", true, "", `takes one of workshops, market, got "memes"`},
		{"pulse recommend 9 recommend 8", true, "", "answered twice"},
		{"pulse mood 3", true, "", `has no question "mood"`},
		// Replies typed on a phone start with a capital; case is not
		// part of an answer.
		{"Pulse recommend 9", true, "recommend=9", ""},
		{"PULSE Recommend 10 MORE_OF=Market", true, "recommend=10 more_of=market", ""},
		{"pulse recommend 9 Recommend 8", true, "", "answered twice"},
		{"Pulse is great", true, "", `has no question "is"`},
	} {
		answers, ok, err := survey.ParseReply(pulse, c.text)
		var got []string
		for _, a := range answers {
			v := a.Choice
			if a.Score >= 0 {
				v = strconv.Itoa(a.Score)
			}
			got = append(got, a.Question+"="+v)
		}
		if ok != c.ok || strings.Join(got, " ") != c.answers {
			t.Errorf("%q: ok %v, answers %v; want %v, %q", c.text, ok, got, c.ok, c.answers)
		}
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.text, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, survey.ErrInvalid)):
			t.Errorf("%q: error %v; want one with %q", c.text, err, c.err)
		}
	}
}

// FuzzParseReply: any text gives answers that pass Check, an error, or
// nothing; never a panic.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"pulse recommend 9", "pulse more_of=market recommend=0", "pulse", "hi", "pulse recommend -1", "pulse recommend 99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		answers, ok, err := survey.ParseReply(pulse, text)
		if !ok && (err != nil || len(answers) > 0) {
			t.Fatalf("not a reply but %v %v", answers, err)
		}
		for _, a := range answers {
			if err := survey.Check(pulse, a); err != nil {
				t.Fatalf("%q gave an answer that fails Check: %v", text, err)
			}
		}
	})
}
