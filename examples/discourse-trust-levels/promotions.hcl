# The personal messages Discourse sends on promotion to levels 1, 2 and 3
# (site settings send_tl1_welcome_message and send_tl2_promotion_message;
# the level 3 message invites to the lounge). The wording is ours.

campaign "tl1_welcome" {
  description = "Congratulate new basic users and point them at their profile and a first topic"
  community   = community.rivet
  enter_on    = "tier.changed"
  enter_when  = "event.to == 'basic'"
  # Once in a member's life, as Discourse sends it.
  reentry = "never"

  step "congratulate" {
    send {
      channel  = "dm"
      template = template.tl1_welcome
    }
  }
}

campaign "tl2_promotion" {
  description = "Tell new members what they can do now"
  community   = community.rivet
  enter_on    = "tier.changed"
  enter_when  = "event.to == 'member' && event.from != 'regular' && event.from != 'leader'"
  # Once in a member's life, as Discourse sends it.
  reentry = "never"

  step "congratulate" {
    send {
      channel  = "dm"
      template = template.tl2_promotion
    }
  }
}

campaign "tl3_promotion" {
  description = "Welcome new regulars and invite them to the lounge"
  community   = community.rivet
  enter_on    = "tier.changed"
  enter_when  = "event.to == 'regular' && event.from != 'leader'"
  # Regulars who lose the level and win it back hear from us again, but
  # not more than once a season.
  reentry       = "after"
  reentry_after = "90d"

  step "congratulate" {
    send {
      channel  = "dm"
      template = template.tl3_promotion
    }
  }
}

template "tl1_welcome" {
  description = "Sent on promotion to trust level 1"
  text = {
    en = <<-EOT
      Hi ${member.name}, thanks for reading along on ${community.title}! You are now a basic user (trust level 1): you can send personal messages, flag posts and post images and links.

      Two good next steps: tell us a little about yourself on your profile, or start a topic about what you are building with Rivet.
    EOT
  }
}

template "tl2_promotion" {
  description = "Sent on promotion to trust level 2"
  text = {
    en = <<-EOT
      ${member.name}, you have been visiting and taking part for a while, so you are now a member (trust level 2) of ${community.title}.

      You can now invite people to a topic or to the forum, and you get more likes per day. Thank you for being part of this place.
    EOT
  }
}

template "tl3_promotion" {
  description = "Sent on promotion to trust level 3"
  text = {
    en = <<-EOT
      ${member.name}, you are now a regular (trust level 3) of ${community.title}. Over the last 100 days you have been one of the people who keep this forum useful.

      Regulars can recategorise and rename topics, make their own posts wiki, and their spam flags on new users' posts hide them straight away. Use it gently: fix what is clearly wrong, and ask in #site-feedback when in doubt.

      There is also a private #lounge for regulars and leaders. Come and say hello.

      The level is kept by staying active: if your activity falls well below what earned it, it is taken back after the first 14 days, and you can earn it again later.
    EOT
  }
}
