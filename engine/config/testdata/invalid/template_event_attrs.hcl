# A template a campaign sends is rendered with the event that enrolled the
# member: the attributes it reads must be that event's, as in the
# campaign's rules. A campaign entered by audience has no such event. A
# profile attribute read without a default fails for members without it.

platform "local" "main" {}

community "explorers" {
  title    = "Explorers"
  platform = platform.local.main
}

event "workshop.invited" {
  attributes = {
    title     = "string"
    starts_at = "time"
  }
}

segment "lurkers" {
  when = "member.messages == 0"
}

template "invite" {
  text    = { en = "${event.titel} at ${event.starts_at}, sent ${event.at}" } # ERROR: which has no attribute "titel", so the send would fail. Did you mean "title"?
  subject = { en = "${event.title}" }
}

template "invite_attrs" {
  text = { en = "${event.attrs.title}" } # ERROR: Event attributes are read as event.title in templates, as in rules; attrs is only where events files (JSONL) and test files write them.
}

template "greet" {
  text = { en = "Hi ${member.attrs.first_name}, or ${lookup(member.attrs, "first_name", "there")}" } # WARNING: Give a default: ${lookup(member.attrs, "first_name", "")}
}

template "nudge" {
  text = { en = "Hi ${member.name}, since ${event.at}" } # ERROR: its runs have no entering event: event.at would fail the send
}

template "any_event" {
  text = { en = "Hi from ${event.channel}" } # ERROR: only some of the event types it enters on (member.joined, message.posted) have "channel"
}

campaign "workshop" {
  enter_on = "workshop.invited"
  step "invite" {
    send {
      channel  = "dm"
      template = template.invite
    }
  }
  step "invite_attrs" {
    send {
      channel  = "dm"
      template = template.invite_attrs
    }
  }
  step "greet" {
    send {
      channel  = "dm"
      template = template.greet
    }
  }
}

campaign "reengage" {
  audience = segment.lurkers
  step "nudge" {
    send {
      channel  = "dm"
      template = template.nudge
    }
  }
}

campaign "hello" {
  enter_on = ["member.joined", "message.posted"]
  step "hi" {
    send {
      channel  = "dm"
      template = template.any_event
    }
  }
}
