# moved blocks that rename campaign steps: the runs waiting at the old
# name go on at the new one, so each address must name a step of a
# campaign the configuration has, and no campaign can be renamed.

platform "local" "main" {}

community "c" {
  title    = "C"
  platform = platform.local.main
  capacity = 150
}

template "t" {
  text = { en = "hi" }
}

campaign "onb" {
  community = community.c
  enter_on  = "member.joined"
  step "hello" {
    send {
      channel  = "dm"
      template = template.t
    }
  }
  step "check" {
    wait = "1d"
  }
  step "bye" {
    wait = "1d"
  }
}

moved {
  from = campaign.onb.step.welcome
  to   = campaign.onb.step.hello
}

moved {
  from = campaign.onb.step.intro
  to   = campaign.onb.step.helo # ERROR: There is no step "helo" in campaign "onb". Did you mean "hello"?
}

moved {
  from = campaign.onb.step.check # ERROR: Campaign onb still has step "check"
  to   = campaign.onb.step.bye
}

moved {
  from = campaign.onbb.step.a # ERROR: There is no campaign "onbb". Did you mean "onb"?
  to   = campaign.onbb.step.b
}

moved { # ERROR: are steps of different campaigns
  from = campaign.onb.step.a
  to   = campaign.other.step.a
}

moved { # ERROR: are not the same kind of object
  from = campaign.onb.step.b
  to   = community.c
}

moved {
  from = campaign.onb # ERROR: is not an address a moved block takes
  to   = campaign.welcome
}
