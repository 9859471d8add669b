# What a Discourse adapter reports, one event per fact, so that count() and
# total() give the figures Discourse keeps in user_stats and user_visits.
# hearth has no sum over an attribute, so reading time arrives as one event
# per minute read, and "distinct topics" as one event per topic.

event "forum.visited" {
  description = "The member visited the forum and read at least one post that day; one event per day (Discourse's user_visits)."
  activity    = true
  attributes = {
    posts_read = "int"
    mobile     = "bool"
  }
}

event "topic.entered" {
  description = "The member opened a topic for the first time; one event per topic (topics_entered, topic_views)."
  activity    = true
  attributes = {
    topic_id = "string"
    category = "string"
  }
}

event "post.read" {
  description = "The member read a post for the first time; one event per post (posts_read_count)."
  activity    = true
  attributes = {
    post_id  = "string"
    topic_id = "string"
  }
}

event "reading.time" {
  description = "The member read for another full minute; minutes is their running total (time_read)."
  activity    = true
  attributes = {
    minutes = "int"
  }
}

event "topic.replied" {
  description = "The member replied in a topic for the first time; one event per topic (topic_reply_count)."
  activity    = true
  attributes = {
    topic_id = "string"
    post_id  = "string"
  }
}

event "like.given" {
  description = "The member liked a post."
  activity    = true
  attributes = {
    post_id     = "string"
    post_member = "string"
  }
}

event "like.received" {
  description = "A post of the member was liked by someone else."
  attributes = {
    post_id = "string"
    liker   = "string"
  }
}

event "post.flagged" {
  description = "Staff agreed with a spam or inappropriate flag on one of the member's posts; one event per post."
  attributes = {
    post_id   = "string"
    flag_type = "string"
    flagger   = "string"
  }
}

event "account.suspended" {
  description = "Staff suspended the member."
  attributes = {
    until  = "time"
    reason = "string"
  }
}

event "account.silenced" {
  description = "Staff silenced the member."
  attributes = {
    until  = "time"
    reason = "string"
  }
}
