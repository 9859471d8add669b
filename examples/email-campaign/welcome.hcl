# The welcome series: three emails over two weeks, each with a plain text
# part and an HTML part, and a way out in every one.

# email.unsubscribed is a standard event: `hearth run` ingests it when a
# member's mail client sends the one-click POST to the unsubscribe_url of
# platform.email.news, or they confirm on the page the link opens. hearth
# records it on the member (member.unsubscribed) and sends them no more
# email through platform.email.news, in this campaign or any other, even
# one already waiting in the outbox: no rule is needed for that.

campaign "welcome_series" {
  description = "Welcome new members by email and point them at help and at contributing"
  community   = community.lantern
  # Members join with their address as the "email" identity (the event's
  # member.identities.email); a member without one gets a dead letter in
  # the outbox saying so, and the series goes on for the others.
  enter_on = "member.joined"
  # No email reaches an unsubscribed member anyway, nor an address that
  # bounced; stop_when also ends their run at once, so it counts as
  # "exited" in hearth campaign show rather than running on to
  # "finished". It is stop_when, not exit_when: exit_when is the goal,
  # and an unsubscribe or a bounce is no success.
  stop_when     = "member.unsubscribed || member.bounced"
  frequency_cap = "1/24h"

  quiet_hours {
    from = "21:00"
    to   = "08:00"
  }

  step "welcome" {
    send {
      channel  = "email"
      template = template.welcome
      platform = platform.email.news
    }
  }

  step "first_steps" {
    wait = "3d"
    at   = "10:00"
    # Someone who already asked a question in #help knows their way.
    when = "count('message.posted', '3d') == 0"
    send {
      channel  = "email"
      template = template.first_steps
      platform = platform.email.news
    }
  }

  step "contribute" {
    wait = "11d"
    at   = "10:00"
    send {
      channel  = "email"
      template = template.contribute
      platform = platform.email.news
    }
  }
}

template "welcome" {
  description = "First email, right after joining"
  subject = {
    en = "Welcome to Lantern, ${member.name}"
  }
  text = {
    en = <<-EOT
      Hi ${member.name},

      welcome to the Lantern community! The forum's #help channel is the
      place for questions, and #announcements tells you when a release
      is out.

      You get this because you joined the Lantern forum. One click on the
      unsubscribe link of your mail program stops these emails.
    EOT
  }
  html = {
    en = <<-EOT
      <p>Hi ${member.name},</p>
      <p>welcome to the <b>Lantern</b> community! The forum's <b>#help</b>
      channel is the place for questions, and <b>#announcements</b> tells
      you when a release is out.</p>
      <p style="color:#777">You get this because you joined the Lantern
      forum. One click on the unsubscribe link of your mail program stops
      these emails.</p>
    EOT
  }
}

template "first_steps" {
  description = "Three days in, for members who have not asked anything yet"
  subject = {
    en = "Your first Lantern site in five minutes"
  }
  text = {
    en = <<-EOT
      Hi ${member.name},

      the quickest start is `lantern new mysite && lantern serve`.
      Stuck? Ask in #help: nobody there minds a beginner's question.
    EOT
  }
  html = {
    en = <<-EOT
      <p>Hi ${member.name},</p>
      <p>the quickest start is <code>lantern new mysite &amp;&amp; lantern serve</code>.
      Stuck? Ask in <b>#help</b>: nobody there minds a beginner's question.</p>
    EOT
  }
}

template "contribute" {
  description = "Two weeks in: how to contribute"
  subject = {
    en = "Help make Lantern better"
  }
  text = {
    en = <<-EOT
      Hi ${member.name},

      Lantern is made by people like you. Issues labelled "good first
      issue" are a good place to start, and the docs always need a
      second pair of eyes.
    EOT
  }
  html = {
    en = <<-EOT
      <p>Hi ${member.name},</p>
      <p>Lantern is made by people like you. Issues labelled
      <i>good first issue</i> are a good place to start, and the docs
      always need a second pair of eyes.</p>
    EOT
  }
}
