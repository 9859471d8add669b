# Trust levels 1 to 4. Level 0 ("new") is simply no tier.
#
# The thresholds are Discourse's defaults, named as its site settings
# (Admin > Settings > Trust levels), so a forum that changed a setting
# changes the same name here.

locals {
  tl1_requires_topics_entered  = 5
  tl1_requires_read_posts      = 30
  tl1_requires_time_spent_mins = 10

  tl2_requires_days_visited      = 15
  tl2_requires_likes_given       = 1
  tl2_requires_likes_received    = 1
  tl2_requires_topic_reply_count = 3
  tl2_requires_topics_entered    = 20
  tl2_requires_read_posts        = 100
  tl2_requires_time_spent_mins   = 60

  # Level 3 looks at the last 100 days (tl3_time_period); the windows in
  # the rules below are written '100d'. Days visited are days('forum.visited',
  # '100d'): distinct days, so a second visit event on a day counts once.
  tl3_requires_days_visited           = 50
  tl3_requires_topics_replied_to      = 10
  tl3_requires_topics_viewed          = 25 # percent of the topics created in the period
  tl3_requires_topics_viewed_cap      = 500
  tl3_requires_posts_read             = 25 # percent of the posts created in the period
  tl3_requires_posts_read_cap         = 20000
  tl3_requires_topics_viewed_all_time = 200
  tl3_requires_posts_read_all_time    = 500
  tl3_requires_max_flagged            = 5
  tl3_requires_likes_given            = 30
  tl3_requires_likes_received         = 20

  # Discourse demotes from level 3 only when a member falls below 90% of a
  # minimum (TrustLevel3Requirements::LOW_WATER_MARK).
  tl3_low_water_mark = 0.9

  # Discourse compares against a share of what the whole forum created in
  # the period. Rules here see one member, so the share is turned into a
  # count from the two variables below, rounded as Discourse rounds it.
  tl3_min_topics_viewed = min(floor(var.topics_created_last_100_days * local.tl3_requires_topics_viewed / 100 + 0.5), local.tl3_requires_topics_viewed_cap)
  tl3_min_posts_read    = min(floor(var.posts_created_last_100_days * local.tl3_requires_posts_read / 100 + 0.5), local.tl3_requires_posts_read_cap)
}

variable "topics_created_last_100_days" {
  type        = number
  default     = 240
  description = "Listed, visible topics created on the forum in the last 100 days; refresh it (for example daily, with -var) from the forum's statistics."

  validation {
    condition     = var.topics_created_last_100_days >= 0
    error_message = "A number of topics cannot be negative."
  }
}

variable "posts_created_last_100_days" {
  type        = number
  default     = 2400
  description = "Public, visible posts created on the forum in the last 100 days; refresh it like topics_created_last_100_days."

  validation {
    condition     = var.posts_created_last_100_days >= 0
    error_message = "A number of posts cannot be negative."
  }
}

tier "basic" {
  rank        = 1
  title       = "Basic (trust level 1)"
  description = "Has read a little: can send messages, flag posts, post images and links."
  community   = community.rivet
  role        = community.rivet.role.tl1_basic
  when        = <<-EOT
    total('topic.entered') >= ${local.tl1_requires_topics_entered} &&
    total('post.read') >= ${local.tl1_requires_read_posts} &&
    total('reading.time') >= ${local.tl1_requires_time_spent_mins}
  EOT
  keep        = "true" # levels 1 and 2 are never lost
  # The member's own trust level on the forum. Not locked: Discourse's
  # own promotion to 1 has the same thresholds, and goes on as it would.
  discourse {
    trust_level = 1
  }
  benefits = [
    "Send personal messages",
    "Flag posts",
    "Post images, attachments and more links",
    "Edit wiki posts",
  ]
}

tier "member" {
  rank        = 2
  title       = "Member (trust level 2)"
  description = "Keeps coming back and takes part: trusted with full citizenship."
  community   = community.rivet
  role        = community.rivet.role.tl2_members
  when        = <<-EOT
    total('forum.visited') >= ${local.tl2_requires_days_visited} &&
    total('like.given') >= ${local.tl2_requires_likes_given} &&
    total('like.received') >= ${local.tl2_requires_likes_received} &&
    total('topic.replied') >= ${local.tl2_requires_topic_reply_count} &&
    total('topic.entered') >= ${local.tl2_requires_topics_entered} &&
    total('post.read') >= ${local.tl2_requires_read_posts} &&
    total('reading.time') >= ${local.tl2_requires_time_spent_mins}
  EOT
  keep        = "true"
  discourse {
    trust_level = 2
  }
  benefits = [
    "Invite others to a topic",
    "Send invitations to the forum",
    "More likes per day",
  ]
}

tier "regular" {
  rank        = 3
  title       = "Regular (trust level 3)"
  description = "The backbone of the forum over the last 100 days: can recategorise and rename topics."
  community   = community.rivet
  role        = community.rivet.role.tl3_regulars
  # Only members at level 2 are considered, as in Discourse.
  # Suspensions and silences count for six calendar months
  # (FORGIVENESS_PERIOD = 6.months), which is 181 to 184 days. A window
  # is whole days, so it is the longest six months, 184 days: no penalty
  # is forgiven before Discourse forgives it, none more than 3 days after.
  when = <<-EOT
    tier_rank() >= rank_of('member') &&
    count('account.suspended', '184d') == 0 &&
    count('account.silenced', '184d') == 0 &&
    days('forum.visited', '100d') >= ${local.tl3_requires_days_visited} &&
    count('topic.replied', '100d') >= ${local.tl3_requires_topics_replied_to} &&
    count('topic.entered', '100d') >= ${local.tl3_min_topics_viewed} &&
    count('post.read', '100d') >= ${local.tl3_min_posts_read} &&
    count('post.flagged', '100d') <= ${local.tl3_requires_max_flagged} &&
    total('topic.entered') >= ${local.tl3_requires_topics_viewed_all_time} &&
    total('post.read') >= ${local.tl3_requires_posts_read_all_time} &&
    count('like.given', '100d') >= ${local.tl3_requires_likes_given} &&
    count('like.received', '100d') >= ${local.tl3_requires_likes_received}
  EOT
  # Hysteresis: every 100-day minimum times 0.9. As in Discourse, the flag
  # maximum, the all-time minimums and the penalties are not relaxed.
  keep = <<-EOT
    count('account.suspended', '184d') == 0 &&
    count('account.silenced', '184d') == 0 &&
    days('forum.visited', '100d') >= ${local.tl3_requires_days_visited * local.tl3_low_water_mark} &&
    count('topic.replied', '100d') >= ${local.tl3_requires_topics_replied_to * local.tl3_low_water_mark} &&
    count('topic.entered', '100d') >= ${local.tl3_min_topics_viewed * local.tl3_low_water_mark} &&
    count('post.read', '100d') >= ${local.tl3_min_posts_read * local.tl3_low_water_mark} &&
    count('post.flagged', '100d') <= ${local.tl3_requires_max_flagged} &&
    total('topic.entered') >= ${local.tl3_requires_topics_viewed_all_time} &&
    total('post.read') >= ${local.tl3_requires_posts_read_all_time} &&
    count('like.given', '100d') >= ${local.tl3_requires_likes_given * local.tl3_low_water_mark} &&
    count('like.received', '100d') >= ${local.tl3_requires_likes_received * local.tl3_low_water_mark}
  EOT
  # tl3_promotion_min_duration: no demotion in the first 14 days.
  grace = "14d"
  # Locked: hearth's ladder decides level 3, and Discourse's daily level
  # 3 review, which counts a little differently (see README.md), leaves
  # it. A demotion to member lifts the lock again.
  discourse {
    trust_level = 3
    lock        = true
  }
  benefits = [
    "Recategorise and rename topics",
    "Access to the lounge",
    "Links are followed by search engines (no nofollow)",
    "Spam flags on new users' posts hide them at once",
    "Make own posts wiki",
    "Twice the daily likes",
  ]
}

tier "leader" {
  rank        = 4
  title       = "Leader (trust level 4)"
  description = "Chosen by staff, never earned automatically: can edit, pin, close, archive, split and merge."
  community   = community.rivet
  role        = community.rivet.role.tl4_leaders
  when        = "false"
  # Promote by pull request: add the member's id here. A member held here
  # by locked is locked at level 4 on the forum too.
  locked = [
    "alice",
    "bao",
  ]
  discourse {
    trust_level = 4
  }
  benefits = [
    "Edit all posts",
    "Pin, unpin, close, unlist, archive, split and merge topics",
    "Three times the daily likes",
  ]
}

# Discourse also awards a badge for reaching each level. A member can pass
# two levels at once (from none straight to member, say), so each badge
# goes with its level or any level above it. They are hearth's record of
# the ladder, not mirrored to the forum (no platform =): the trust level
# each tier sets makes Discourse award its own Basic User, Member, Regular
# and Leader badges, as it does on any change of level.

badge "basic_user" {
  title       = "Basic User"
  description = "Reached trust level 1: all the essential forum functions"
  class       = "bronze"
}

badge "member" {
  title       = "Member"
  description = "Reached trust level 2: invitations, group messages, more likes"
  class       = "bronze"
}

badge "regular" {
  title       = "Regular"
  description = "Reached trust level 3: recategorise, rename, followed links, wiki, more likes"
  class       = "silver"
}

badge "leader" {
  title       = "Leader"
  description = "Reached trust level 4: edit anything, pin, close, archive, split and merge"
  class       = "gold"
}

incentive "badge_basic_user" {
  on   = "tier.changed"
  when = "event.to in ['basic', 'member', 'regular', 'leader']"
  once = true
  grant {
    badge = badge.basic_user
  }
}

incentive "badge_member" {
  on   = "tier.changed"
  when = "event.to in ['member', 'regular', 'leader']"
  once = true
  grant {
    badge = badge.member
  }
}

incentive "badge_regular" {
  on   = "tier.changed"
  when = "event.to in ['regular', 'leader']"
  once = true
  grant {
    badge = badge.regular
  }
}

incentive "badge_leader" {
  on   = "tier.changed"
  when = "event.to == 'leader'"
  once = true
  grant {
    badge = badge.leader
  }
}
