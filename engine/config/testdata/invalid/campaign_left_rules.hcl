# A campaign for members of the community ends a run as left when the
# member leaves, before stop_when or exit_when is asked: a rule on
# member.left there never holds. In a campaign for everyone (members =
# "all") leaving ends nothing, and the rule is the way to end the run.

campaign "reengage" {
  enter_on  = "member.joined"
  stop_when = "member.left" # WARNING: stop_when on member.left never holds
  exit_when = "member.messages > 0 || member.left" # WARNING: before exit_when is asked, so member.left is false whenever it is
  step "hello" {
    send {
      channel  = "dm"
      template = template.hi
    }
  }
}

campaign "everyone" {
  enter_on  = "member.joined"
  members   = "all"
  stop_when = "member.left"
  step "hello" {
    wait = "1d"
  }
}

template "hi" {
  text = { en = "Hi" }
}
