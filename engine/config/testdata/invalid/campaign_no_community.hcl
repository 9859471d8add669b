# A campaign that names no community, with several communities: members
# who enter on an event are reached through the community the event came
# from, and an audience segment's community tells for an audience
# campaign; one with neither cannot tell which community to send through.

platform "local" "main" {}

community "builders" {
  title    = "Builders"
  platform = platform.local.main
  capacity = 2
}

community "ops" {
  title    = "Ops"
  platform = platform.local.main
}

template "hi" {
  text = { en = "Hi" }
}

segment "everyone" {
  when = "true"
}

segment "ops_people" {
  community = community.ops
  when      = "true"
}

campaign "onboarding" {
  enter_on = "member.joined"
  step "hi" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "drip" {
  audience = segment.everyone
  step "hi" {
    send {
      channel  = "dm" # ERROR: campaign "drip" names no community and enters members by audience, with no event to tell which community each joined, and communities builders, ops are all on local platforms
      template = template.hi
    }
  }
}

campaign "ops_drip" {
  audience = segment.ops_people
  step "hi" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}
