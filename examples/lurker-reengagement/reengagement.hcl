# Bring lurkers into the conversation: a DM or an email first (an A/B
# test), a gentle follow-up for those who react, and then either a friendly
# shout-out in #introductions or a last email asking whether to keep in
# touch.

campaign "lurker_reengagement" {
  description = "Turn lurkers into members who post"
  community   = community.pixel_garden
  audience    = segment.lurker
  # Leaving the lurker segment (by posting, or by reacting a lot) ends the
  # campaign too; that is the default, written out here.
  exit_on_leave = true
  # The goal: a message posted. Members who reach it count as converted.
  exit_when = "count('message.posted', '7d') > 0"
  # Someone who goes quiet again may go through it again, after 90 days.
  reentry       = "after"
  reentry_after = "90d"
  # At most two messages from this campaign in any week; a message over the
  # cap waits until it fits.
  frequency_cap = "2/7d"
  on_cap        = "defer"

  quiet_hours {
    from = "21:00"
    to   = "09:00"
  }

  # A/B test: does a personal DM or a digest email bring more lurkers back?
  # Each member gets one variant, always the same, and hearth records it.
  step "pick_opener" {
    split {
      variant "dm" {
        weight = 50
        goto   = "dm_opener"
      }
      variant "email" {
        weight = 50
        goto   = "email_opener"
      }
    }
  }

  step "dm_opener" {
    at = "10:00"
    send {
      channel  = "dm"
      template = template.lurker_dm
    }
    goto = "wait_for_response"
  }

  step "email_opener" {
    at = "10:00"
    send {
      channel  = "email"
      platform = platform.email.digest
      template = template.lurker_digest
    }
  }

  # Any sign of life within a week: a post (which reaches the goal and ends
  # the campaign) or a reaction.
  step "wait_for_response" {
    wait_until = "count('message.posted', '7d') > 0 || count('reaction.added', '7d') > 0"
    timeout    = "7d"
    on_timeout = "route_silent"
  }

  # They reacted but did not post: one small, concrete invitation, and done.
  step "reacted_only" {
    send {
      channel  = "dm"
      template = template.first_post_invite
    }
    goto = "exit"
  }

  # No response. Members who still react now and then are reading along:
  # say hello to them in public, unless they turned spotlights off. The
  # others get a last email.
  step "route_silent" {
    branch {
      when = "count('reaction.added', '60d') > 0 && member.attrs.spotlight != 'off'"
      goto = "spotlight"
    }
  }

  step "last_call" {
    wait = "3d"
    send {
      channel  = "email"
      platform = platform.email.digest
      template = template.last_call
    }
    goto = "final_wait"
  }

  step "spotlight" {
    wait = "2d"
    at   = "17:00"
    send {
      channel  = "channel"
      target   = community.pixel_garden.channel.introductions
      template = template.spotlight
    }
  }

  # Leave two weeks for an answer, then let them be.
  step "final_wait" {
    wait_until = "count('message.posted', '14d') > 0"
    timeout    = "14d"
    on_timeout = "exit"
  }
}

template "lurker_dm" {
  description = "Variant dm: a short personal message"
  text = {
    en = <<-EOT
      Hey ${member.name}, Mika from Pixel Garden here. You joined ${member.days_since_joined} days ago and we have not heard from you yet, which is completely fine!

      If you are working on something, even a tiny prototype, we would love to see it in #showcase. And if you are stuck on anything, #help is full of people who have been stuck on the same thing.
    EOT
  }
}

template "lurker_digest" {
  description = "Variant email: a digest of what happened this month"
  subject = {
    en = "What is growing in Pixel Garden this month"
  }
  text = {
    en = <<-EOT
      Hi ${member.name},

      Here is what the ${community.members} members of Pixel Garden have been up to:

      - #showcase: new demos, devlogs and trailers every week
      - #help: questions on shaders, pixel art, audio and publishing, most answered within a day
      - #introductions: new people saying what they are making

      You do not need a finished game to join in. A screenshot, a question or a "hello" is enough.

      See you there,
      Mika, for the Pixel Garden moderators
    EOT
  }
  html = {
    en = <<-EOT
      <p>Hi ${member.name},</p>
      <p>Here is what the ${community.members} members of Pixel Garden have been up to:</p>
      <ul>
        <li><b>#showcase</b>: new demos, devlogs and trailers every week</li>
        <li><b>#help</b>: questions on shaders, pixel art, audio and publishing, most answered within a day</li>
        <li><b>#introductions</b>: new people saying what they are making</li>
      </ul>
      <p>You do not need a finished game to join in. A screenshot, a question or a "hello" is enough.</p>
      <p>See you there,<br>Mika, for the Pixel Garden moderators</p>
    EOT
  }
}

template "first_post_invite" {
  description = "For lurkers who reacted after the opener"
  text = {
    en = "Thanks for the reaction, ${member.name}! When you are ready, a one-line hello in #introductions is all it takes: what you are making, and with which engine."
  }
}

template "spotlight" {
  description = "Posted in #introductions for lurkers who read along"
  text = {
    en = "A wave to ${member.name}, who has been reading along in Pixel Garden for ${member.days_since_joined} days! ${member.name}, what are you working on? A screenshot is plenty."
  }
}

template "last_call" {
  description = "Last email of the campaign"
  subject = {
    en = "Still making games, ${member.name}?"
  }
  text = {
    en = <<-EOT
      Hi ${member.name},

      We have not seen you in Pixel Garden for a while. No pressure: many people read for months before they post, and that is fine.

      If there is something that would make it easier to join in (a channel for your engine, a beginners' thread, a different time for our jams), just reply to this email. It comes straight to the moderators.

      Mika, for the Pixel Garden moderators
    EOT
  }
  html = {
    en = <<-EOT
      <p>Hi ${member.name},</p>
      <p>We have not seen you in Pixel Garden for a while. No pressure: many people read for months before they post, and that is fine.</p>
      <p>If there is something that would make it easier to join in (a channel for your engine, a beginners' thread, a different time for our jams), just reply to this email. It comes straight to the moderators.</p>
      <p>Mika, for the Pixel Garden moderators</p>
    EOT
  }
}
