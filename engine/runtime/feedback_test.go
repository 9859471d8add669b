package runtime_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hearth-community/hearth/engine/simulate"
	"github.com/hearth-community/hearth/engine/state"
)

const surveyConfig = `
survey "pulse" {
  title = "Pulse"
  question "recommend" {
    text  = { en = "Recommend us?" }
    score = true
  }
  question "more_of" {
    text    = { en = "More of what?" }
    choices = ["events", "tutorials"]
  }
}
template "ask" {
  text = { en = "Hi ${member.name}!" }
}
incentive "answered" {
  on   = "feedback.submitted"
  when = "event.question == 'recommend' && event.score >= 9"
  grant { points = 7 }
}
campaign "ask" {
  enter_on = "member.joined"
  step "ask" {
    send {
      channel  = "dm"
      template = template.ask
      survey   = survey.pulse
    }
  }
}
`

// TestSurveyLoop: the step sends the questions, a reply becomes
// answers that rules see, a malformed reply gets a message back, and
// neither happens twice for the same message.
func TestSurveyLoop(t *testing.T) {
	cfg := load(t, surveyConfig)
	stream := ev("j", "member.joined", "ann", 0, 9, `{"name":"Ann"}`) +
		ev("r1", "message.direct", "ann", 1, 9, `{"text":"pulse recommend 10 more_of=events"}`) +
		ev("r2", "message.direct", "ann", 1, 10, `{"text":"pulse recommend ten"}`) +
		ev("r3", "message.posted", "ann", 1, 11, `{"text":"pulse is a great name for a band"}`) +
		ev("r4", "message.direct", "ann", 1, 12, `{"text":"thanks!"}`)
	sum, err := simulate.Run(context.Background(), cfg, strings.NewReader(stream+stream), simulate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	outbox := sum.Store.(*state.Memory).Outbox()
	if len(outbox) != 2 {
		t.Fatalf("outbox: %+v; want the survey and one reply about the bad answer", outbox)
	}
	want := "Hi Ann!\n\nPulse\n1. Recommend us?\n   recommend: score from 0 (not at all) to 10 (very)\n2. More of what?\n   more_of: events | tutorials\nReply with the survey, the question and your answer, such as \"pulse recommend 9\"; or answer several at once, such as \"pulse recommend 9 more_of events\"."
	if outbox[0].Kind != "send.dm" || outbox[0].Text != want || outbox[0].Campaign != "ask" {
		t.Errorf("survey message: %+v\nwant text:\n%s", outbox[0], want)
	}
	if outbox[1].Key != "survey-reply/r2" || outbox[1].Text != `Sorry, your answer was not recorded: question "recommend" of survey "pulse" takes a score from 0 to 10, got "ten".` {
		t.Errorf("reply about the bad answer: %+v", outbox[1])
	}
	var m *state.Member
	_ = sum.Store.Members(context.Background(), func(x *state.Member) error { m = x; return nil })
	// One answer of 10 to recommend, one to more_of; the incentive paid once.
	if m.Points != 7 || m.Total("feedback.submitted") != 2 {
		t.Errorf("points %d, feedback events %d; want 7 and 2", m.Points, m.Total("feedback.submitted"))
	}
}
