# Boundary tests for every threshold in trust_levels.hcl: run `hearth test
# examples/discourse-trust-levels`. Times are offsets from the start.
#
# Each pair of tests changes one figure and meets every other requirement
# with room to spare: one member has that figure exactly at its threshold,
# the other one below it (one above, for a maximum). Discourse compares
# with >= for minimums and <= for maximums (Promotion.tl1_met?,
# tl2_met?, TrustLevel3Requirements#requirements_met?), so the member at
# the threshold is promoted and the one below is not.
#
# Level 3 also checks the other way round: a regular falls back to member
# only below 90% of a 100-day minimum (requirements_lost?, LOW_WATER_MARK
# = 0.9, compared as count < minimum * 0.9, no rounding), and never in the
# first 14 days after the promotion (tl3_promotion_min_duration).

# The level 3 boundaries are computed from the forum's figures, so they
# are pinned here to the defaults the comments below count with: a run
# with your forum's figures (-var topics_created_last_100_days=1800)
# still tests the boundaries written here. The file's values win over
# -var for its tests alone.
variables = {
  topics_created_last_100_days = 240
  posts_created_last_100_days  = 2400
}

# =====================================================================
# Level 1 (basic): tl1_requires_topics_entered = 5,
# tl1_requires_read_posts = 30, tl1_requires_time_spent_mins = 10.
# The other two figures are met with room: 10 topics, 50 posts, 20 minutes.
# =====================================================================

# tl1_requires_topics_entered = 5
test "level 1: 5 topics entered make a basic user" {
  event "topic.entered" {
    member = "tl1_topics_at"
    at     = "1h"
    repeat = 5
  }
  event "post.read" {
    member = "tl1_topics_at"
    at     = "1h"
    repeat = 50
  }
  event "reading.time" {
    member = "tl1_topics_at"
    at     = "1h"
    repeat = 20
  }
  expect "tl1_topics_at" {
    at     = "1d"
    tier   = "basic"
    badges = ["basic_user"]
  }
}

test "level 1: 4 topics entered are not enough for level 1" {
  event "topic.entered" {
    member = "tl1_topics_below"
    at     = "1h"
    repeat = 4
  }
  event "post.read" {
    member = "tl1_topics_below"
    at     = "1h"
    repeat = 50
  }
  event "reading.time" {
    member = "tl1_topics_below"
    at     = "1h"
    repeat = 20
  }
  expect "tl1_topics_below" {
    at     = "1d"
    tier   = ""
    badges = []
  }
}

# tl1_requires_read_posts = 30
test "level 1: 30 posts read make a basic user" {
  event "topic.entered" {
    member = "tl1_posts_at"
    at     = "1h"
    repeat = 10
  }
  event "post.read" {
    member = "tl1_posts_at"
    at     = "1h"
    repeat = 30
  }
  event "reading.time" {
    member = "tl1_posts_at"
    at     = "1h"
    repeat = 20
  }
  expect "tl1_posts_at" {
    at     = "1d"
    tier   = "basic"
    badges = ["basic_user"]
  }
}

test "level 1: 29 posts read are not enough for level 1" {
  event "topic.entered" {
    member = "tl1_posts_below"
    at     = "1h"
    repeat = 10
  }
  event "post.read" {
    member = "tl1_posts_below"
    at     = "1h"
    repeat = 29
  }
  event "reading.time" {
    member = "tl1_posts_below"
    at     = "1h"
    repeat = 20
  }
  expect "tl1_posts_below" {
    at     = "1d"
    tier   = ""
    badges = []
  }
}

# tl1_requires_time_spent_mins = 10
test "level 1: 10 minutes of reading make a basic user" {
  event "topic.entered" {
    member = "tl1_minutes_at"
    at     = "1h"
    repeat = 10
  }
  event "post.read" {
    member = "tl1_minutes_at"
    at     = "1h"
    repeat = 50
  }
  event "reading.time" {
    member = "tl1_minutes_at"
    at     = "1h"
    repeat = 10
  }
  expect "tl1_minutes_at" {
    at     = "1d"
    tier   = "basic"
    badges = ["basic_user"]
  }
}

test "level 1: 9 minutes of reading are not enough for level 1" {
  event "topic.entered" {
    member = "tl1_minutes_below"
    at     = "1h"
    repeat = 10
  }
  event "post.read" {
    member = "tl1_minutes_below"
    at     = "1h"
    repeat = 50
  }
  event "reading.time" {
    member = "tl1_minutes_below"
    at     = "1h"
    repeat = 9
  }
  expect "tl1_minutes_below" {
    at     = "1d"
    tier   = ""
    badges = []
  }
}

# =====================================================================
# Level 2 (member): tl2_requires_days_visited = 15,
# tl2_requires_likes_given = 1, tl2_requires_likes_received = 1,
# tl2_requires_topic_reply_count = 3, tl2_requires_topics_entered = 20,
# tl2_requires_read_posts = 100, tl2_requires_time_spent_mins = 60.
# The other figures are met with room: 20 days visited, 2 likes given and
# received, 5 topics replied to, 30 topics, 150 posts, 90 minutes. A member
# one short of level 2 has level 1.
# =====================================================================

# tl2_requires_days_visited = 15
test "level 2: 15 days visited make a member" {
  event "forum.visited" {
    member = "tl2_visits_at"
    at     = "1h"
    repeat = 15
    every  = "1d"
  }
  event "topic.entered" {
    member = "tl2_visits_at"
    at     = "2h"
    repeat = 30
  }
  event "post.read" {
    member = "tl2_visits_at"
    at     = "3h"
    repeat = 150
  }
  event "reading.time" {
    member = "tl2_visits_at"
    at     = "6h"
    repeat = 90
  }
  event "topic.replied" {
    member = "tl2_visits_at"
    at     = "8h"
    repeat = 5
  }
  event "like.given" {
    member = "tl2_visits_at"
    at     = "9h"
    repeat = 2
  }
  event "like.received" {
    member = "tl2_visits_at"
    at     = "9h"
    repeat = 2
  }
  expect "tl2_visits_at" {
    at     = "20d"
    tier   = "member"
    badges = ["basic_user", "member"]
  }
}

test "level 2: 14 days visited are not enough" {
  event "forum.visited" {
    member = "tl2_visits_below"
    at     = "1h"
    repeat = 14
    every  = "1d"
  }
  event "topic.entered" {
    member = "tl2_visits_below"
    at     = "2h"
    repeat = 30
  }
  event "post.read" {
    member = "tl2_visits_below"
    at     = "3h"
    repeat = 150
  }
  event "reading.time" {
    member = "tl2_visits_below"
    at     = "6h"
    repeat = 90
  }
  event "topic.replied" {
    member = "tl2_visits_below"
    at     = "8h"
    repeat = 5
  }
  event "like.given" {
    member = "tl2_visits_below"
    at     = "9h"
    repeat = 2
  }
  event "like.received" {
    member = "tl2_visits_below"
    at     = "9h"
    repeat = 2
  }
  expect "tl2_visits_below" {
    at     = "20d"
    tier   = "basic"
    badges = ["basic_user"]
  }
}

# tl2_requires_topics_entered = 20
test "level 2: 20 topics entered make a member" {
  event "forum.visited" {
    member = "tl2_topics_at"
    at     = "1h"
    repeat = 20
    every  = "1d"
  }
  event "topic.entered" {
    member = "tl2_topics_at"
    at     = "2h"
    repeat = 20
  }
  event "post.read" {
    member = "tl2_topics_at"
    at     = "3h"
    repeat = 150
  }
  event "reading.time" {
    member = "tl2_topics_at"
    at     = "6h"
    repeat = 90
  }
  event "topic.replied" {
    member = "tl2_topics_at"
    at     = "8h"
    repeat = 5
  }
  event "like.given" {
    member = "tl2_topics_at"
    at     = "9h"
    repeat = 2
  }
  event "like.received" {
    member = "tl2_topics_at"
    at     = "9h"
    repeat = 2
  }
  expect "tl2_topics_at" {
    at     = "20d"
    tier   = "member"
    badges = ["basic_user", "member"]
  }
}

test "level 2: 19 topics entered are not enough" {
  event "forum.visited" {
    member = "tl2_topics_below"
    at     = "1h"
    repeat = 20
    every  = "1d"
  }
  event "topic.entered" {
    member = "tl2_topics_below"
    at     = "2h"
    repeat = 19
  }
  event "post.read" {
    member = "tl2_topics_below"
    at     = "3h"
    repeat = 150
  }
  event "reading.time" {
    member = "tl2_topics_below"
    at     = "6h"
    repeat = 90
  }
  event "topic.replied" {
    member = "tl2_topics_below"
    at     = "8h"
    repeat = 5
  }
  event "like.given" {
    member = "tl2_topics_below"
    at     = "9h"
    repeat = 2
  }
  event "like.received" {
    member = "tl2_topics_below"
    at     = "9h"
    repeat = 2
  }
  expect "tl2_topics_below" {
    at     = "20d"
    tier   = "basic"
    badges = ["basic_user"]
  }
}

# tl2_requires_read_posts = 100
test "level 2: 100 posts read make a member" {
  event "forum.visited" {
    member = "tl2_posts_at"
    at     = "1h"
    repeat = 20
    every  = "1d"
  }
  event "topic.entered" {
    member = "tl2_posts_at"
    at     = "2h"
    repeat = 30
  }
  event "post.read" {
    member = "tl2_posts_at"
    at     = "3h"
    repeat = 100
  }
  event "reading.time" {
    member = "tl2_posts_at"
    at     = "6h"
    repeat = 90
  }
  event "topic.replied" {
    member = "tl2_posts_at"
    at     = "8h"
    repeat = 5
  }
  event "like.given" {
    member = "tl2_posts_at"
    at     = "9h"
    repeat = 2
  }
  event "like.received" {
    member = "tl2_posts_at"
    at     = "9h"
    repeat = 2
  }
  expect "tl2_posts_at" {
    at     = "20d"
    tier   = "member"
    badges = ["basic_user", "member"]
  }
}

test "level 2: 99 posts read are not enough" {
  event "forum.visited" {
    member = "tl2_posts_below"
    at     = "1h"
    repeat = 20
    every  = "1d"
  }
  event "topic.entered" {
    member = "tl2_posts_below"
    at     = "2h"
    repeat = 30
  }
  event "post.read" {
    member = "tl2_posts_below"
    at     = "3h"
    repeat = 99
  }
  event "reading.time" {
    member = "tl2_posts_below"
    at     = "6h"
    repeat = 90
  }
  event "topic.replied" {
    member = "tl2_posts_below"
    at     = "8h"
    repeat = 5
  }
  event "like.given" {
    member = "tl2_posts_below"
    at     = "9h"
    repeat = 2
  }
  event "like.received" {
    member = "tl2_posts_below"
    at     = "9h"
    repeat = 2
  }
  expect "tl2_posts_below" {
    at     = "20d"
    tier   = "basic"
    badges = ["basic_user"]
  }
}

# tl2_requires_time_spent_mins = 60
test "level 2: 60 minutes of reading make a member" {
  event "forum.visited" {
    member = "tl2_minutes_at"
    at     = "1h"
    repeat = 20
    every  = "1d"
  }
  event "topic.entered" {
    member = "tl2_minutes_at"
    at     = "2h"
    repeat = 30
  }
  event "post.read" {
    member = "tl2_minutes_at"
    at     = "3h"
    repeat = 150
  }
  event "reading.time" {
    member = "tl2_minutes_at"
    at     = "6h"
    repeat = 60
  }
  event "topic.replied" {
    member = "tl2_minutes_at"
    at     = "8h"
    repeat = 5
  }
  event "like.given" {
    member = "tl2_minutes_at"
    at     = "9h"
    repeat = 2
  }
  event "like.received" {
    member = "tl2_minutes_at"
    at     = "9h"
    repeat = 2
  }
  expect "tl2_minutes_at" {
    at     = "20d"
    tier   = "member"
    badges = ["basic_user", "member"]
  }
}

test "level 2: 59 minutes of reading are not enough" {
  event "forum.visited" {
    member = "tl2_minutes_below"
    at     = "1h"
    repeat = 20
    every  = "1d"
  }
  event "topic.entered" {
    member = "tl2_minutes_below"
    at     = "2h"
    repeat = 30
  }
  event "post.read" {
    member = "tl2_minutes_below"
    at     = "3h"
    repeat = 150
  }
  event "reading.time" {
    member = "tl2_minutes_below"
    at     = "6h"
    repeat = 59
  }
  event "topic.replied" {
    member = "tl2_minutes_below"
    at     = "8h"
    repeat = 5
  }
  event "like.given" {
    member = "tl2_minutes_below"
    at     = "9h"
    repeat = 2
  }
  event "like.received" {
    member = "tl2_minutes_below"
    at     = "9h"
    repeat = 2
  }
  expect "tl2_minutes_below" {
    at     = "20d"
    tier   = "basic"
    badges = ["basic_user"]
  }
}

# tl2_requires_topic_reply_count = 3
test "level 2: 3 topics replied to make a member" {
  event "forum.visited" {
    member = "tl2_replies_at"
    at     = "1h"
    repeat = 20
    every  = "1d"
  }
  event "topic.entered" {
    member = "tl2_replies_at"
    at     = "2h"
    repeat = 30
  }
  event "post.read" {
    member = "tl2_replies_at"
    at     = "3h"
    repeat = 150
  }
  event "reading.time" {
    member = "tl2_replies_at"
    at     = "6h"
    repeat = 90
  }
  event "topic.replied" {
    member = "tl2_replies_at"
    at     = "8h"
    repeat = 3
  }
  event "like.given" {
    member = "tl2_replies_at"
    at     = "9h"
    repeat = 2
  }
  event "like.received" {
    member = "tl2_replies_at"
    at     = "9h"
    repeat = 2
  }
  expect "tl2_replies_at" {
    at     = "20d"
    tier   = "member"
    badges = ["basic_user", "member"]
  }
}

test "level 2: 2 topics replied to are not enough" {
  event "forum.visited" {
    member = "tl2_replies_below"
    at     = "1h"
    repeat = 20
    every  = "1d"
  }
  event "topic.entered" {
    member = "tl2_replies_below"
    at     = "2h"
    repeat = 30
  }
  event "post.read" {
    member = "tl2_replies_below"
    at     = "3h"
    repeat = 150
  }
  event "reading.time" {
    member = "tl2_replies_below"
    at     = "6h"
    repeat = 90
  }
  event "topic.replied" {
    member = "tl2_replies_below"
    at     = "8h"
    repeat = 2
  }
  event "like.given" {
    member = "tl2_replies_below"
    at     = "9h"
    repeat = 2
  }
  event "like.received" {
    member = "tl2_replies_below"
    at     = "9h"
    repeat = 2
  }
  expect "tl2_replies_below" {
    at     = "20d"
    tier   = "basic"
    badges = ["basic_user"]
  }
}

# tl2_requires_likes_given = 1
test "level 2: 1 like given makes a member" {
  event "forum.visited" {
    member = "tl2_likes_given_at"
    at     = "1h"
    repeat = 20
    every  = "1d"
  }
  event "topic.entered" {
    member = "tl2_likes_given_at"
    at     = "2h"
    repeat = 30
  }
  event "post.read" {
    member = "tl2_likes_given_at"
    at     = "3h"
    repeat = 150
  }
  event "reading.time" {
    member = "tl2_likes_given_at"
    at     = "6h"
    repeat = 90
  }
  event "topic.replied" {
    member = "tl2_likes_given_at"
    at     = "8h"
    repeat = 5
  }
  event "like.given" {
    member = "tl2_likes_given_at"
    at     = "9h"
  }
  event "like.received" {
    member = "tl2_likes_given_at"
    at     = "9h"
    repeat = 2
  }
  expect "tl2_likes_given_at" {
    at     = "20d"
    tier   = "member"
    badges = ["basic_user", "member"]
  }
}

test "level 2: no like given, no level 2" {
  event "forum.visited" {
    member = "tl2_likes_given_below"
    at     = "1h"
    repeat = 20
    every  = "1d"
  }
  event "topic.entered" {
    member = "tl2_likes_given_below"
    at     = "2h"
    repeat = 30
  }
  event "post.read" {
    member = "tl2_likes_given_below"
    at     = "3h"
    repeat = 150
  }
  event "reading.time" {
    member = "tl2_likes_given_below"
    at     = "6h"
    repeat = 90
  }
  event "topic.replied" {
    member = "tl2_likes_given_below"
    at     = "8h"
    repeat = 5
  }
  event "like.received" {
    member = "tl2_likes_given_below"
    at     = "9h"
    repeat = 2
  }
  expect "tl2_likes_given_below" {
    at     = "20d"
    tier   = "basic"
    badges = ["basic_user"]
  }
}

# tl2_requires_likes_received = 1
test "level 2: 1 like received makes a member" {
  event "forum.visited" {
    member = "tl2_likes_received_at"
    at     = "1h"
    repeat = 20
    every  = "1d"
  }
  event "topic.entered" {
    member = "tl2_likes_received_at"
    at     = "2h"
    repeat = 30
  }
  event "post.read" {
    member = "tl2_likes_received_at"
    at     = "3h"
    repeat = 150
  }
  event "reading.time" {
    member = "tl2_likes_received_at"
    at     = "6h"
    repeat = 90
  }
  event "topic.replied" {
    member = "tl2_likes_received_at"
    at     = "8h"
    repeat = 5
  }
  event "like.given" {
    member = "tl2_likes_received_at"
    at     = "9h"
    repeat = 2
  }
  event "like.received" {
    member = "tl2_likes_received_at"
    at     = "9h"
  }
  expect "tl2_likes_received_at" {
    at     = "20d"
    tier   = "member"
    badges = ["basic_user", "member"]
  }
}

test "level 2: no like received, no level 2" {
  event "forum.visited" {
    member = "tl2_likes_received_below"
    at     = "1h"
    repeat = 20
    every  = "1d"
  }
  event "topic.entered" {
    member = "tl2_likes_received_below"
    at     = "2h"
    repeat = 30
  }
  event "post.read" {
    member = "tl2_likes_received_below"
    at     = "3h"
    repeat = 150
  }
  event "reading.time" {
    member = "tl2_likes_received_below"
    at     = "6h"
    repeat = 90
  }
  event "topic.replied" {
    member = "tl2_likes_received_below"
    at     = "8h"
    repeat = 5
  }
  event "like.given" {
    member = "tl2_likes_received_below"
    at     = "9h"
    repeat = 2
  }
  expect "tl2_likes_received_below" {
    at     = "20d"
    tier   = "basic"
    badges = ["basic_user"]
  }
}

# =====================================================================
# Level 3 (regular), promotion: the 100-day minimums (tl3_time_period =
# 100), the all-time minimums, the flag maximum and the penalties.
#
# The activity starts on day 100, so that what happens on day 0 is outside
# the 100-day window: only the minimum on topics viewed in the last 100
# days needs older events. Every figure but the one under test is met with
# room: 55 days visited (days 100 to 154), 220 topics, 650 posts,
# 90 minutes, 12 topics replied to, 33 likes given, 22 likes received, no
# flag and no penalty. Level 2 comes on day 114 (the 15th visit) and
# level 3 on day 149, with the 50th visit.
#
# With the default forum figures (240 topics and 2,400 posts in 100 days)
# the share minimums are 60 topics viewed and 600 posts read.
# tl3_requires_posts_read_all_time = 500 is never the deciding figure with
# these defaults: 600 posts read in 100 days are also 600 read all time.
# =====================================================================

# tl3_requires_days_visited = 50
test "level 3: 50 days visited in 100 days make a regular" {
  event "forum.visited" {
    member = "tl3_visits_at"
    at     = "100d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_visits_at"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "tl3_visits_at"
    at     = "101d"
    repeat = 220
  }
  event "post.read" {
    member = "tl3_visits_at"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "tl3_visits_at"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_visits_at"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "tl3_visits_at"
    at     = "104d"
    repeat = 22
  }
  expect "tl3_visits_at" {
    at   = "156d"
    tier = "regular"
  }
}

test "level 3: 49 days visited in 100 days are not enough" {
  event "forum.visited" {
    member = "tl3_visits_below"
    at     = "100d1h"
    repeat = 49
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_visits_below"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "tl3_visits_below"
    at     = "101d"
    repeat = 220
  }
  event "post.read" {
    member = "tl3_visits_below"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "tl3_visits_below"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_visits_below"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "tl3_visits_below"
    at     = "104d"
    repeat = 22
  }
  expect "tl3_visits_below" {
    at   = "156d"
    tier = "member"
  }
}

# Days visited are distinct days: a second forum.visited on a day already
# visited (a retried job) does not make the 50th.
test "level 3: a second visit on one day is not another day visited" {
  event "forum.visited" {
    member = "tl3_visits_twice"
    at     = "100d1h"
    repeat = 49
    every  = "1d"
  }
  event "forum.visited" {
    member = "tl3_visits_twice"
    at     = "148d20h"
  }
  event "reading.time" {
    member = "tl3_visits_twice"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "tl3_visits_twice"
    at     = "101d"
    repeat = 220
  }
  event "post.read" {
    member = "tl3_visits_twice"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "tl3_visits_twice"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_visits_twice"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "tl3_visits_twice"
    at     = "104d"
    repeat = 22
  }
  expect "tl3_visits_twice" {
    at   = "156d"
    tier = "member"
  }
}

# tl3_requires_topics_replied_to = 10
test "level 3: 10 topics replied to in 100 days make a regular" {
  event "forum.visited" {
    member = "tl3_replies_at"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_replies_at"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "tl3_replies_at"
    at     = "101d"
    repeat = 220
  }
  event "post.read" {
    member = "tl3_replies_at"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "tl3_replies_at"
    at     = "103d"
    repeat = 10
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_replies_at"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "tl3_replies_at"
    at     = "104d"
    repeat = 22
  }
  expect "tl3_replies_at" {
    at   = "156d"
    tier = "regular"
  }
}

test "level 3: 9 topics replied to in 100 days are not enough" {
  event "forum.visited" {
    member = "tl3_replies_below"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_replies_below"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "tl3_replies_below"
    at     = "101d"
    repeat = 220
  }
  event "post.read" {
    member = "tl3_replies_below"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "tl3_replies_below"
    at     = "103d"
    repeat = 9
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_replies_below"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "tl3_replies_below"
    at     = "104d"
    repeat = 22
  }
  expect "tl3_replies_below" {
    at   = "156d"
    tier = "member"
  }
}

# tl3_requires_topics_viewed = 25 (% of 240 topics = 60). 150 topics viewed
# on day 0 are outside the window but keep the all-time figure above 200.
test "level 3: 60 topics viewed in 100 days make a regular" {
  event "forum.visited" {
    member = "tl3_topics_at"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_topics_at"
    at     = "100d2h"
    repeat = 90
  }
  # outside the 100-day window by day 100
  event "topic.entered" {
    member = "tl3_topics_at"
    at     = "1h"
    repeat = 150
  }
  # inside it
  event "topic.entered" {
    member = "tl3_topics_at"
    at     = "101d"
    repeat = 60
  }
  event "post.read" {
    member = "tl3_topics_at"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "tl3_topics_at"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_topics_at"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "tl3_topics_at"
    at     = "104d"
    repeat = 22
  }
  expect "tl3_topics_at" {
    at   = "156d"
    tier = "regular"
  }
}

test "level 3: 59 topics viewed in 100 days are not enough" {
  event "forum.visited" {
    member = "tl3_topics_below"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_topics_below"
    at     = "100d2h"
    repeat = 90
  }
  # outside the 100-day window by day 100
  event "topic.entered" {
    member = "tl3_topics_below"
    at     = "1h"
    repeat = 150
  }
  # inside it
  event "topic.entered" {
    member = "tl3_topics_below"
    at     = "101d"
    repeat = 59
  }
  event "post.read" {
    member = "tl3_topics_below"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "tl3_topics_below"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_topics_below"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "tl3_topics_below"
    at     = "104d"
    repeat = 22
  }
  expect "tl3_topics_below" {
    at   = "156d"
    tier = "member"
  }
}

# tl3_requires_topics_viewed_all_time = 200
test "level 3: 200 topics viewed all time make a regular" {
  event "forum.visited" {
    member = "tl3_topics_all_time_at"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_topics_all_time_at"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "tl3_topics_all_time_at"
    at     = "101d"
    repeat = 200
  }
  event "post.read" {
    member = "tl3_topics_all_time_at"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "tl3_topics_all_time_at"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_topics_all_time_at"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "tl3_topics_all_time_at"
    at     = "104d"
    repeat = 22
  }
  expect "tl3_topics_all_time_at" {
    at   = "156d"
    tier = "regular"
  }
}

test "level 3: 199 topics viewed all time are not enough" {
  event "forum.visited" {
    member = "tl3_topics_all_time_below"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_topics_all_time_below"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "tl3_topics_all_time_below"
    at     = "101d"
    repeat = 199
  }
  event "post.read" {
    member = "tl3_topics_all_time_below"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "tl3_topics_all_time_below"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_topics_all_time_below"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "tl3_topics_all_time_below"
    at     = "104d"
    repeat = 22
  }
  expect "tl3_topics_all_time_below" {
    at   = "156d"
    tier = "member"
  }
}

# tl3_requires_posts_read = 25 (% of 2,400 posts = 600)
test "level 3: 600 posts read in 100 days make a regular" {
  event "forum.visited" {
    member = "tl3_posts_at"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_posts_at"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "tl3_posts_at"
    at     = "101d"
    repeat = 220
  }
  event "post.read" {
    member = "tl3_posts_at"
    at     = "102d"
    repeat = 600
  }
  event "topic.replied" {
    member = "tl3_posts_at"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_posts_at"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "tl3_posts_at"
    at     = "104d"
    repeat = 22
  }
  expect "tl3_posts_at" {
    at   = "156d"
    tier = "regular"
  }
}

test "level 3: 599 posts read in 100 days are not enough" {
  event "forum.visited" {
    member = "tl3_posts_below"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_posts_below"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "tl3_posts_below"
    at     = "101d"
    repeat = 220
  }
  event "post.read" {
    member = "tl3_posts_below"
    at     = "102d"
    repeat = 599
  }
  event "topic.replied" {
    member = "tl3_posts_below"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_posts_below"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "tl3_posts_below"
    at     = "104d"
    repeat = 22
  }
  expect "tl3_posts_below" {
    at   = "156d"
    tier = "member"
  }
}

# tl3_requires_likes_given = 30
test "level 3: 30 likes given in 100 days make a regular" {
  event "forum.visited" {
    member = "tl3_likes_given_at"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_likes_given_at"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "tl3_likes_given_at"
    at     = "101d"
    repeat = 220
  }
  event "post.read" {
    member = "tl3_likes_given_at"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "tl3_likes_given_at"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_likes_given_at"
    at     = "103d"
    repeat = 30
  }
  event "like.received" {
    member = "tl3_likes_given_at"
    at     = "104d"
    repeat = 22
  }
  expect "tl3_likes_given_at" {
    at   = "156d"
    tier = "regular"
  }
}

test "level 3: 29 likes given in 100 days are not enough" {
  event "forum.visited" {
    member = "tl3_likes_given_below"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_likes_given_below"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "tl3_likes_given_below"
    at     = "101d"
    repeat = 220
  }
  event "post.read" {
    member = "tl3_likes_given_below"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "tl3_likes_given_below"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_likes_given_below"
    at     = "103d"
    repeat = 29
  }
  event "like.received" {
    member = "tl3_likes_given_below"
    at     = "104d"
    repeat = 22
  }
  expect "tl3_likes_given_below" {
    at   = "156d"
    tier = "member"
  }
}

# tl3_requires_likes_received = 20
test "level 3: 20 likes received in 100 days make a regular" {
  event "forum.visited" {
    member = "tl3_likes_received_at"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_likes_received_at"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "tl3_likes_received_at"
    at     = "101d"
    repeat = 220
  }
  event "post.read" {
    member = "tl3_likes_received_at"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "tl3_likes_received_at"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_likes_received_at"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "tl3_likes_received_at"
    at     = "104d"
    repeat = 20
  }
  expect "tl3_likes_received_at" {
    at   = "156d"
    tier = "regular"
  }
}

test "level 3: 19 likes received in 100 days are not enough" {
  event "forum.visited" {
    member = "tl3_likes_received_below"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_likes_received_below"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "tl3_likes_received_below"
    at     = "101d"
    repeat = 220
  }
  event "post.read" {
    member = "tl3_likes_received_below"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "tl3_likes_received_below"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_likes_received_below"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "tl3_likes_received_below"
    at     = "104d"
    repeat = 19
  }
  expect "tl3_likes_received_below" {
    at   = "156d"
    tier = "member"
  }
}

# tl3_requires_max_flagged = 5 (a maximum: 5 is allowed, 6 is not)
test "level 3: 5 flagged posts in 100 days still allow level 3" {
  event "forum.visited" {
    member = "tl3_flags_at"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_flags_at"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "tl3_flags_at"
    at     = "101d"
    repeat = 220
  }
  event "post.read" {
    member = "tl3_flags_at"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "tl3_flags_at"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_flags_at"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "tl3_flags_at"
    at     = "104d"
    repeat = 22
  }
  event "post.flagged" {
    member = "tl3_flags_at"
    at     = "103d"
    repeat = 5
    every  = "1h"
    attrs  = { flag_type = "spam" }
  }
  expect "tl3_flags_at" {
    at   = "156d"
    tier = "regular"
  }
}

test "level 3: 6 flagged posts in 100 days block level 3" {
  event "forum.visited" {
    member = "tl3_flags_over"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "tl3_flags_over"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "tl3_flags_over"
    at     = "101d"
    repeat = 220
  }
  event "post.read" {
    member = "tl3_flags_over"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "tl3_flags_over"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "tl3_flags_over"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "tl3_flags_over"
    at     = "104d"
    repeat = 22
  }
  event "post.flagged" {
    member = "tl3_flags_over"
    at     = "103d"
    repeat = 6
    every  = "1h"
    attrs  = { flag_type = "spam" }
  }
  expect "tl3_flags_over" {
    at   = "156d"
    tier = "member"
  }
}

# =====================================================================
# Level 3, promotion: the 100-day window (tl3_time_period = 100). Discourse
# counts what is newer than 100.days.ago: a visit or a like 99 days old
# still counts, one 100 days old does not. The rules count the 100 days
# that end today, which is the same.
#
# In each test one event of the figure under test happens on day 10, and
# the rest of its minimum from day 61. Two members meet everything else
# from day 60 to day 65 and make their 50th visit on day 109 (days 60 to
# 109) or on day 110 (days 61 to 110): the day-10 event is 99 days old for
# the first, who becomes a regular, and 100 days old for the second, who
# does not.
# =====================================================================

# tl3_requires_days_visited = 50: the 50th visit is the one on day 10
test "window: a day visited 99 days ago still counts, 100 days ago it does not" {
  # day 10: 99 days old on day 109, 100 on day 110
  event "forum.visited" {
    member = "window_visits_in"
    at     = "10d1h"
  }
  # days 61 to 109
  event "forum.visited" {
    member = "window_visits_in"
    at     = "61d1h"
    repeat = 49
    every  = "1d"
  }
  event "reading.time" {
    member = "window_visits_in"
    at     = "60d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "window_visits_in"
    at     = "61d"
    repeat = 220
  }
  event "post.read" {
    member = "window_visits_in"
    at     = "62d"
    repeat = 650
  }
  event "topic.replied" {
    member = "window_visits_in"
    at     = "63d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "window_visits_in"
    at     = "63d"
    repeat = 33
  }
  event "like.received" {
    member = "window_visits_in"
    at     = "64d"
    repeat = 22
  }
  # day 10: 99 days old on day 109, 100 on day 110
  event "forum.visited" {
    member = "window_visits_out"
    at     = "10d1h"
  }
  # days 62 to 110
  event "forum.visited" {
    member = "window_visits_out"
    at     = "62d1h"
    repeat = 49
    every  = "1d"
  }
  event "reading.time" {
    member = "window_visits_out"
    at     = "60d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "window_visits_out"
    at     = "61d"
    repeat = 220
  }
  event "post.read" {
    member = "window_visits_out"
    at     = "62d"
    repeat = 650
  }
  event "topic.replied" {
    member = "window_visits_out"
    at     = "63d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "window_visits_out"
    at     = "63d"
    repeat = 33
  }
  event "like.received" {
    member = "window_visits_out"
    at     = "64d"
    repeat = 22
  }
  expect "window_visits_in" {
    at   = "109d2h"
    tier = "regular"
  }
  expect "window_visits_out" {
    at   = "110d2h"
    tier = "member"
  }
}

# 10 topics replied to: the one on day 10 is the 10th
test "window: a topic replied to 99 days ago still counts, 100 days ago it does not" {
  event "forum.visited" {
    member = "window_topic_replied_in"
    at     = "60d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "window_topic_replied_in"
    at     = "60d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "window_topic_replied_in"
    at     = "61d"
    repeat = 220
  }
  event "post.read" {
    member = "window_topic_replied_in"
    at     = "62d"
    repeat = 650
  }
  # day 10: 99 days old on day 109, 100 on day 110
  event "topic.replied" {
    member = "window_topic_replied_in"
    at     = "10d"
  }
  event "topic.replied" {
    member = "window_topic_replied_in"
    at     = "64d"
    repeat = 9
    every  = "1h"
  }
  event "like.given" {
    member = "window_topic_replied_in"
    at     = "63d"
    repeat = 33
  }
  event "like.received" {
    member = "window_topic_replied_in"
    at     = "64d"
    repeat = 22
  }
  event "forum.visited" {
    member = "window_topic_replied_out"
    at     = "61d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "window_topic_replied_out"
    at     = "61d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "window_topic_replied_out"
    at     = "62d"
    repeat = 220
  }
  event "post.read" {
    member = "window_topic_replied_out"
    at     = "63d"
    repeat = 650
  }
  # day 10: 99 days old on day 109, 100 on day 110
  event "topic.replied" {
    member = "window_topic_replied_out"
    at     = "10d"
  }
  event "topic.replied" {
    member = "window_topic_replied_out"
    at     = "64d"
    repeat = 9
    every  = "1h"
  }
  event "like.given" {
    member = "window_topic_replied_out"
    at     = "64d"
    repeat = 33
  }
  event "like.received" {
    member = "window_topic_replied_out"
    at     = "65d"
    repeat = 22
  }
  expect "window_topic_replied_in" {
    at   = "109d2h"
    tier = "regular"
  }
  expect "window_topic_replied_out" {
    at   = "110d2h"
    tier = "member"
  }
}

# 60 topics viewed: the one on day 10 is the 60th;
# 150 topics on day 0 keep the all-time figure above 200
test "window: a topic viewed 99 days ago still counts, 100 days ago it does not" {
  event "forum.visited" {
    member = "window_topic_entered_in"
    at     = "60d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "window_topic_entered_in"
    at     = "60d2h"
    repeat = 90
  }
  # day 0, for the all-time figure
  event "topic.entered" {
    member = "window_topic_entered_in"
    at     = "1h"
    repeat = 150
  }
  # day 10: 99 days old on day 109, 100 on day 110
  event "topic.entered" {
    member = "window_topic_entered_in"
    at     = "10d"
  }
  event "topic.entered" {
    member = "window_topic_entered_in"
    at     = "62d"
    repeat = 59
  }
  event "post.read" {
    member = "window_topic_entered_in"
    at     = "62d"
    repeat = 650
  }
  event "topic.replied" {
    member = "window_topic_entered_in"
    at     = "63d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "window_topic_entered_in"
    at     = "63d"
    repeat = 33
  }
  event "like.received" {
    member = "window_topic_entered_in"
    at     = "64d"
    repeat = 22
  }
  event "forum.visited" {
    member = "window_topic_entered_out"
    at     = "61d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "window_topic_entered_out"
    at     = "61d2h"
    repeat = 90
  }
  # day 0, for the all-time figure
  event "topic.entered" {
    member = "window_topic_entered_out"
    at     = "1h"
    repeat = 150
  }
  # day 10: 99 days old on day 109, 100 on day 110
  event "topic.entered" {
    member = "window_topic_entered_out"
    at     = "10d"
  }
  event "topic.entered" {
    member = "window_topic_entered_out"
    at     = "62d"
    repeat = 59
  }
  event "post.read" {
    member = "window_topic_entered_out"
    at     = "63d"
    repeat = 650
  }
  event "topic.replied" {
    member = "window_topic_entered_out"
    at     = "64d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "window_topic_entered_out"
    at     = "64d"
    repeat = 33
  }
  event "like.received" {
    member = "window_topic_entered_out"
    at     = "65d"
    repeat = 22
  }
  expect "window_topic_entered_in" {
    at   = "109d2h"
    tier = "regular"
  }
  expect "window_topic_entered_out" {
    at   = "110d2h"
    tier = "member"
  }
}

# 600 posts read: the one on day 10 is the 600th
test "window: a post read 99 days ago still counts, 100 days ago it does not" {
  event "forum.visited" {
    member = "window_post_read_in"
    at     = "60d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "window_post_read_in"
    at     = "60d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "window_post_read_in"
    at     = "61d"
    repeat = 220
  }
  # day 10: 99 days old on day 109, 100 on day 110
  event "post.read" {
    member = "window_post_read_in"
    at     = "10d"
  }
  event "post.read" {
    member = "window_post_read_in"
    at     = "63d"
    repeat = 599
  }
  event "topic.replied" {
    member = "window_post_read_in"
    at     = "63d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "window_post_read_in"
    at     = "63d"
    repeat = 33
  }
  event "like.received" {
    member = "window_post_read_in"
    at     = "64d"
    repeat = 22
  }
  event "forum.visited" {
    member = "window_post_read_out"
    at     = "61d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "window_post_read_out"
    at     = "61d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "window_post_read_out"
    at     = "62d"
    repeat = 220
  }
  # day 10: 99 days old on day 109, 100 on day 110
  event "post.read" {
    member = "window_post_read_out"
    at     = "10d"
  }
  event "post.read" {
    member = "window_post_read_out"
    at     = "63d"
    repeat = 599
  }
  event "topic.replied" {
    member = "window_post_read_out"
    at     = "64d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "window_post_read_out"
    at     = "64d"
    repeat = 33
  }
  event "like.received" {
    member = "window_post_read_out"
    at     = "65d"
    repeat = 22
  }
  expect "window_post_read_in" {
    at   = "109d2h"
    tier = "regular"
  }
  expect "window_post_read_out" {
    at   = "110d2h"
    tier = "member"
  }
}

# 30 likes given: the one on day 10 is the 30th
test "window: a like given 99 days ago still counts, 100 days ago it does not" {
  event "forum.visited" {
    member = "window_like_given_in"
    at     = "60d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "window_like_given_in"
    at     = "60d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "window_like_given_in"
    at     = "61d"
    repeat = 220
  }
  event "post.read" {
    member = "window_like_given_in"
    at     = "62d"
    repeat = 650
  }
  event "topic.replied" {
    member = "window_like_given_in"
    at     = "63d"
    repeat = 12
    every  = "1h"
  }
  # day 10: 99 days old on day 109, 100 on day 110
  event "like.given" {
    member = "window_like_given_in"
    at     = "10d"
  }
  event "like.given" {
    member = "window_like_given_in"
    at     = "64d"
    repeat = 29
  }
  event "like.received" {
    member = "window_like_given_in"
    at     = "64d"
    repeat = 22
  }
  event "forum.visited" {
    member = "window_like_given_out"
    at     = "61d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "window_like_given_out"
    at     = "61d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "window_like_given_out"
    at     = "62d"
    repeat = 220
  }
  event "post.read" {
    member = "window_like_given_out"
    at     = "63d"
    repeat = 650
  }
  event "topic.replied" {
    member = "window_like_given_out"
    at     = "64d"
    repeat = 12
    every  = "1h"
  }
  # day 10: 99 days old on day 109, 100 on day 110
  event "like.given" {
    member = "window_like_given_out"
    at     = "10d"
  }
  event "like.given" {
    member = "window_like_given_out"
    at     = "64d"
    repeat = 29
  }
  event "like.received" {
    member = "window_like_given_out"
    at     = "65d"
    repeat = 22
  }
  expect "window_like_given_in" {
    at   = "109d2h"
    tier = "regular"
  }
  expect "window_like_given_out" {
    at   = "110d2h"
    tier = "member"
  }
}

# 20 likes received: the one on day 10 is the 20th
test "window: a like received 99 days ago still counts, 100 days ago it does not" {
  event "forum.visited" {
    member = "window_like_received_in"
    at     = "60d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "window_like_received_in"
    at     = "60d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "window_like_received_in"
    at     = "61d"
    repeat = 220
  }
  event "post.read" {
    member = "window_like_received_in"
    at     = "62d"
    repeat = 650
  }
  event "topic.replied" {
    member = "window_like_received_in"
    at     = "63d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "window_like_received_in"
    at     = "63d"
    repeat = 33
  }
  # day 10: 99 days old on day 109, 100 on day 110
  event "like.received" {
    member = "window_like_received_in"
    at     = "10d"
  }
  event "like.received" {
    member = "window_like_received_in"
    at     = "65d"
    repeat = 19
  }
  event "forum.visited" {
    member = "window_like_received_out"
    at     = "61d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "window_like_received_out"
    at     = "61d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "window_like_received_out"
    at     = "62d"
    repeat = 220
  }
  event "post.read" {
    member = "window_like_received_out"
    at     = "63d"
    repeat = 650
  }
  event "topic.replied" {
    member = "window_like_received_out"
    at     = "64d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "window_like_received_out"
    at     = "64d"
    repeat = 33
  }
  # day 10: 99 days old on day 109, 100 on day 110
  event "like.received" {
    member = "window_like_received_out"
    at     = "10d"
  }
  event "like.received" {
    member = "window_like_received_out"
    at     = "65d"
    repeat = 19
  }
  expect "window_like_received_in" {
    at   = "109d2h"
    tier = "regular"
  }
  expect "window_like_received_out" {
    at   = "110d2h"
    tier = "member"
  }
}

# tl3_requires_max_flagged = 5: a sixth flag on day 10 blocks the
# promotion on day 109 and stops counting on day 110.
test "window: a flag 99 days old still counts, 100 days old it does not" {
  event "forum.visited" {
    member = "window_flags"
    at     = "60d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "window_flags"
    at     = "60d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "window_flags"
    at     = "61d"
    repeat = 220
  }
  event "post.read" {
    member = "window_flags"
    at     = "62d"
    repeat = 650
  }
  event "topic.replied" {
    member = "window_flags"
    at     = "63d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "window_flags"
    at     = "63d"
    repeat = 33
  }
  event "like.received" {
    member = "window_flags"
    at     = "64d"
    repeat = 22
  }
  event "post.flagged" {
    member = "window_flags"
    at     = "10d"
    attrs  = { flag_type = "spam" }
  }
  event "post.flagged" {
    member = "window_flags"
    at     = "62d"
    repeat = 5
    every  = "1h"
    attrs  = { flag_type = "spam" }
  }
  expect "window_flags" {
    at   = "109d2h"
    tier = "member"
  }
  expect "window_flags" {
    at   = "110d1h"
    tier = "regular"
  }
}

# =====================================================================
# Level 3, promotion: no suspension and no silence in the last six months
# (TrustLevel3Requirements::FORGIVENESS_PERIOD = 6.months), a maximum of
# zero: any penalty in those six months blocks level 3 (see also "a
# suspension in the last six months blocks level 3" in
# trust_levels.hearthtest.hcl). Six calendar months are 181 to 184 days;
# the rules count the 184 days that end today, so that no penalty is
# forgiven before Discourse forgives it (and none more than three days
# after). From 1 July, six months are 184 days: a penalty on 1 July 2026
# at 01:00 is forgiven on 1 January 2027, on the day Discourse forgives
# it. The member meets everything else from day 100.
# =====================================================================

test "level 3: a suspension blocks level 3 for six calendar months" {
  start = "2026-07-01T00:00:00Z"
  event "forum.visited" {
    member = "forgiven_suspended"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "forgiven_suspended"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "forgiven_suspended"
    at     = "101d"
    repeat = 220
  }
  event "post.read" {
    member = "forgiven_suspended"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "forgiven_suspended"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "forgiven_suspended"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "forgiven_suspended"
    at     = "104d"
    repeat = 22
  }
  event "account.suspended" {
    member = "forgiven_suspended"
    at     = "1h"
    attrs  = { reason = "heated thread" }
  }
  expect "forgiven_suspended" {
    at   = "183d23h"
    tier = "member"
  }
  expect "forgiven_suspended" {
    at   = "184d2h"
    tier = "regular"
  }
}

test "level 3: a silence blocks level 3 for six calendar months" {
  start = "2026-07-01T00:00:00Z"
  event "forum.visited" {
    member = "forgiven_silenced"
    at     = "100d1h"
    repeat = 55
    every  = "1d"
  }
  event "reading.time" {
    member = "forgiven_silenced"
    at     = "100d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "forgiven_silenced"
    at     = "101d"
    repeat = 220
  }
  event "post.read" {
    member = "forgiven_silenced"
    at     = "102d"
    repeat = 650
  }
  event "topic.replied" {
    member = "forgiven_silenced"
    at     = "103d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "forgiven_silenced"
    at     = "103d"
    repeat = 33
  }
  event "like.received" {
    member = "forgiven_silenced"
    at     = "104d"
    repeat = 22
  }
  event "account.silenced" {
    member = "forgiven_silenced"
    at     = "1h"
    attrs  = { reason = "off-topic spam" }
  }
  expect "forgiven_silenced" {
    at   = "183d23h"
    tier = "member"
  }
  expect "forgiven_silenced" {
    at   = "184d2h"
    tier = "regular"
  }
}

# =====================================================================
# Level 3 (regular), keeping it: the low-water mark, the flag maximum,
# the penalties and the 14-day grace.
#
# A regular is demoted only when a 100-day figure falls below 90% of its
# minimum: 45 days visited, 9 topics replied to, 54 topics viewed, 540
# posts read, 27 likes given, 18 likes received. In each pair part of that
# figure happens early (days 0 to 5) and the rest from day 10; everything
# else is met with room from day 10 to day 14, with 50 days visited from
# day 10 to day 59. The member is a regular from day 53, 54 or 59, so the
# grace is over by day 73. On day 107 the window holds days 8 to 107: the
# early events have left it, and the figure is exactly at the low-water
# mark for the first member (who stays a regular) and one below it for the
# second (who is a member again).
# =====================================================================

# tl3_requires_days_visited = 50: 50 x 0.9 = 45
test "keep level 3: 45 days visited in 100 days keep a regular" {
  # days 0 to 4: gone from the window by day 107
  event "forum.visited" {
    member = "keep_visits_at"
    at     = "1h"
    repeat = 5
    every  = "1d"
  }
  # from day 10: still in the window on day 107
  event "forum.visited" {
    member = "keep_visits_at"
    at     = "10d1h"
    repeat = 45
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_visits_at"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_visits_at"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_visits_at"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_visits_at"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_visits_at"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_visits_at"
    at     = "14d"
    repeat = 22
  }
  expect "keep_visits_at" {
    at   = "99d"
    tier = "regular"
  }
  expect "keep_visits_at" {
    at   = "107d"
    tier = "regular"
  }
}

test "keep level 3: 44 days visited in 100 days demote a regular" {
  # days 0 to 5: gone from the window by day 107
  event "forum.visited" {
    member = "keep_visits_below"
    at     = "1h"
    repeat = 6
    every  = "1d"
  }
  # from day 10: still in the window on day 107
  event "forum.visited" {
    member = "keep_visits_below"
    at     = "10d1h"
    repeat = 44
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_visits_below"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_visits_below"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_visits_below"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_visits_below"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_visits_below"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_visits_below"
    at     = "14d"
    repeat = 22
  }
  expect "keep_visits_below" {
    at   = "99d"
    tier = "regular"
  }
  expect "keep_visits_below" {
    at   = "107d"
    tier = "member"
  }
}

# tl3_requires_topics_replied_to = 10: 10 x 0.9 = 9
test "keep level 3: 9 topics replied to in 100 days keep a regular" {
  event "forum.visited" {
    member = "keep_replies_at"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_replies_at"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_replies_at"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_replies_at"
    at     = "12d"
    repeat = 650
  }
  # day 1: gone from the window by day 107
  event "topic.replied" {
    member = "keep_replies_at"
    at     = "1d"
  }
  # from day 13: still in the window on day 107
  event "topic.replied" {
    member = "keep_replies_at"
    at     = "13d"
    repeat = 9
    every  = "1h"
  }
  event "like.given" {
    member = "keep_replies_at"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_replies_at"
    at     = "14d"
    repeat = 22
  }
  expect "keep_replies_at" {
    at   = "99d"
    tier = "regular"
  }
  expect "keep_replies_at" {
    at   = "107d"
    tier = "regular"
  }
}

test "keep level 3: 8 topics replied to in 100 days demote a regular" {
  event "forum.visited" {
    member = "keep_replies_below"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_replies_below"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_replies_below"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_replies_below"
    at     = "12d"
    repeat = 650
  }
  # day 1: gone from the window by day 107
  event "topic.replied" {
    member = "keep_replies_below"
    at     = "1d"
    repeat = 2
  }
  # from day 13: still in the window on day 107
  event "topic.replied" {
    member = "keep_replies_below"
    at     = "13d"
    repeat = 8
    every  = "1h"
  }
  event "like.given" {
    member = "keep_replies_below"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_replies_below"
    at     = "14d"
    repeat = 22
  }
  expect "keep_replies_below" {
    at   = "99d"
    tier = "regular"
  }
  expect "keep_replies_below" {
    at   = "107d"
    tier = "member"
  }
}

# tl3_requires_topics_viewed: 60 x 0.9 = 54.
# 150 early topics keep the all-time figure above 200.
test "keep level 3: 54 topics viewed in 100 days keep a regular" {
  event "forum.visited" {
    member = "keep_topics_at"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_topics_at"
    at     = "10d2h"
    repeat = 90
  }
  # day 1: gone from the window by day 107
  event "topic.entered" {
    member = "keep_topics_at"
    at     = "1d"
    repeat = 150
  }
  # from day 11: still in the window on day 107
  event "topic.entered" {
    member = "keep_topics_at"
    at     = "11d"
    repeat = 54
  }
  event "post.read" {
    member = "keep_topics_at"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_topics_at"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_topics_at"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_topics_at"
    at     = "14d"
    repeat = 22
  }
  expect "keep_topics_at" {
    at   = "99d"
    tier = "regular"
  }
  expect "keep_topics_at" {
    at   = "107d"
    tier = "regular"
  }
}

test "keep level 3: 53 topics viewed in 100 days demote a regular" {
  event "forum.visited" {
    member = "keep_topics_below"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_topics_below"
    at     = "10d2h"
    repeat = 90
  }
  # day 1: gone from the window by day 107
  event "topic.entered" {
    member = "keep_topics_below"
    at     = "1d"
    repeat = 150
  }
  # from day 11: still in the window on day 107
  event "topic.entered" {
    member = "keep_topics_below"
    at     = "11d"
    repeat = 53
  }
  event "post.read" {
    member = "keep_topics_below"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_topics_below"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_topics_below"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_topics_below"
    at     = "14d"
    repeat = 22
  }
  expect "keep_topics_below" {
    at   = "99d"
    tier = "regular"
  }
  expect "keep_topics_below" {
    at   = "107d"
    tier = "member"
  }
}

# tl3_requires_posts_read = 600: 600 x 0.9 = 540
test "keep level 3: 540 posts read in 100 days keep a regular" {
  event "forum.visited" {
    member = "keep_posts_at"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_posts_at"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_posts_at"
    at     = "11d"
    repeat = 220
  }
  # day 1: gone from the window by day 107
  event "post.read" {
    member = "keep_posts_at"
    at     = "1d"
    repeat = 60
  }
  # from day 12: still in the window on day 107
  event "post.read" {
    member = "keep_posts_at"
    at     = "12d"
    repeat = 540
  }
  event "topic.replied" {
    member = "keep_posts_at"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_posts_at"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_posts_at"
    at     = "14d"
    repeat = 22
  }
  expect "keep_posts_at" {
    at   = "99d"
    tier = "regular"
  }
  expect "keep_posts_at" {
    at   = "107d"
    tier = "regular"
  }
}

test "keep level 3: 539 posts read in 100 days demote a regular" {
  event "forum.visited" {
    member = "keep_posts_below"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_posts_below"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_posts_below"
    at     = "11d"
    repeat = 220
  }
  # day 1: gone from the window by day 107
  event "post.read" {
    member = "keep_posts_below"
    at     = "1d"
    repeat = 61
  }
  # from day 12: still in the window on day 107
  event "post.read" {
    member = "keep_posts_below"
    at     = "12d"
    repeat = 539
  }
  event "topic.replied" {
    member = "keep_posts_below"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_posts_below"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_posts_below"
    at     = "14d"
    repeat = 22
  }
  expect "keep_posts_below" {
    at   = "99d"
    tier = "regular"
  }
  expect "keep_posts_below" {
    at   = "107d"
    tier = "member"
  }
}

# tl3_requires_likes_given = 30: 30 x 0.9 = 27
test "keep level 3: 27 likes given in 100 days keep a regular" {
  event "forum.visited" {
    member = "keep_likes_given_at"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_likes_given_at"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_likes_given_at"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_likes_given_at"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_likes_given_at"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  # day 1: gone from the window by day 107
  event "like.given" {
    member = "keep_likes_given_at"
    at     = "1d"
    repeat = 3
  }
  # from day 13: still in the window on day 107
  event "like.given" {
    member = "keep_likes_given_at"
    at     = "13d"
    repeat = 27
  }
  event "like.received" {
    member = "keep_likes_given_at"
    at     = "14d"
    repeat = 22
  }
  expect "keep_likes_given_at" {
    at   = "99d"
    tier = "regular"
  }
  expect "keep_likes_given_at" {
    at   = "107d"
    tier = "regular"
  }
}

test "keep level 3: 26 likes given in 100 days demote a regular" {
  event "forum.visited" {
    member = "keep_likes_given_below"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_likes_given_below"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_likes_given_below"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_likes_given_below"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_likes_given_below"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  # day 1: gone from the window by day 107
  event "like.given" {
    member = "keep_likes_given_below"
    at     = "1d"
    repeat = 4
  }
  # from day 13: still in the window on day 107
  event "like.given" {
    member = "keep_likes_given_below"
    at     = "13d"
    repeat = 26
  }
  event "like.received" {
    member = "keep_likes_given_below"
    at     = "14d"
    repeat = 22
  }
  expect "keep_likes_given_below" {
    at   = "99d"
    tier = "regular"
  }
  expect "keep_likes_given_below" {
    at   = "107d"
    tier = "member"
  }
}

# tl3_requires_likes_received = 20: 20 x 0.9 = 18
test "keep level 3: 18 likes received in 100 days keep a regular" {
  event "forum.visited" {
    member = "keep_likes_received_at"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_likes_received_at"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_likes_received_at"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_likes_received_at"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_likes_received_at"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_likes_received_at"
    at     = "13d"
    repeat = 33
  }
  # day 1: gone from the window by day 107
  event "like.received" {
    member = "keep_likes_received_at"
    at     = "1d"
    repeat = 2
  }
  # from day 14: still in the window on day 107
  event "like.received" {
    member = "keep_likes_received_at"
    at     = "14d"
    repeat = 18
  }
  expect "keep_likes_received_at" {
    at   = "99d"
    tier = "regular"
  }
  expect "keep_likes_received_at" {
    at   = "107d"
    tier = "regular"
  }
}

test "keep level 3: 17 likes received in 100 days demote a regular" {
  event "forum.visited" {
    member = "keep_likes_received_below"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_likes_received_below"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_likes_received_below"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_likes_received_below"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_likes_received_below"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_likes_received_below"
    at     = "13d"
    repeat = 33
  }
  # day 1: gone from the window by day 107
  event "like.received" {
    member = "keep_likes_received_below"
    at     = "1d"
    repeat = 3
  }
  # from day 14: still in the window on day 107
  event "like.received" {
    member = "keep_likes_received_below"
    at     = "14d"
    repeat = 17
  }
  expect "keep_likes_received_below" {
    at   = "99d"
    tier = "regular"
  }
  expect "keep_likes_received_below" {
    at   = "107d"
    tier = "member"
  }
}

# =====================================================================
# Level 3, keeping it: the same 100-day window at the low-water mark. The
# early part of the figure happens on day 1 (visits: days 0 to 4), one
# event on day 5 and the rest from day 10, with everything else as in the
# low-water pairs above. The figure is exactly at the low-water mark on
# day 104, when the day-5 event is 99 days old, and one below it on day
# 105, when that event is 100 days old.
# =====================================================================

# tl3_requires_days_visited: low-water mark 45
test "keep window: days visited fall below 45 when the day-5 one is 100 days old" {
  # days 0 to 4: gone from the window by day 104
  event "forum.visited" {
    member = "keep_window_visits"
    at     = "1h"
    repeat = 5
    every  = "1d"
  }
  # day 5: 99 days old on day 104, gone on day 105
  event "forum.visited" {
    member = "keep_window_visits"
    at     = "5d1h"
  }
  # still in the window on day 105
  event "forum.visited" {
    member = "keep_window_visits"
    at     = "10d1h"
    repeat = 44
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_window_visits"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_window_visits"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_window_visits"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_window_visits"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_window_visits"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_window_visits"
    at     = "14d"
    repeat = 22
  }
  expect "keep_window_visits" {
    at   = "104d12h"
    tier = "regular"
  }
  expect "keep_window_visits" {
    at   = "105d1h"
    tier = "member"
  }
}

# tl3_requires_topics_replied_to: low-water mark 9
test "keep window: topics replied to fall below 9 when the day-5 one is 100 days old" {
  event "forum.visited" {
    member = "keep_window_replies"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_window_replies"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_window_replies"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_window_replies"
    at     = "12d"
    repeat = 650
  }
  # day 1: gone from the window on day 101
  event "topic.replied" {
    member = "keep_window_replies"
    at     = "1d"
  }
  # day 5: 99 days old on day 104, gone on day 105
  event "topic.replied" {
    member = "keep_window_replies"
    at     = "5d"
  }
  # still in the window on day 105
  event "topic.replied" {
    member = "keep_window_replies"
    at     = "13d"
    repeat = 8
    every  = "1h"
  }
  event "like.given" {
    member = "keep_window_replies"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_window_replies"
    at     = "14d"
    repeat = 22
  }
  expect "keep_window_replies" {
    at   = "104d12h"
    tier = "regular"
  }
  expect "keep_window_replies" {
    at   = "105d1h"
    tier = "member"
  }
}

# tl3_requires_topics_viewed: low-water mark 54
test "keep window: topics viewed fall below 54 when the day-5 one is 100 days old" {
  event "forum.visited" {
    member = "keep_window_topics"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_window_topics"
    at     = "10d2h"
    repeat = 90
  }
  # day 1: gone from the window on day 101
  event "topic.entered" {
    member = "keep_window_topics"
    at     = "1d"
    repeat = 150
  }
  # day 5: 99 days old on day 104, gone on day 105
  event "topic.entered" {
    member = "keep_window_topics"
    at     = "5d"
  }
  # still in the window on day 105
  event "topic.entered" {
    member = "keep_window_topics"
    at     = "11d"
    repeat = 53
  }
  event "post.read" {
    member = "keep_window_topics"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_window_topics"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_window_topics"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_window_topics"
    at     = "14d"
    repeat = 22
  }
  expect "keep_window_topics" {
    at   = "104d12h"
    tier = "regular"
  }
  expect "keep_window_topics" {
    at   = "105d1h"
    tier = "member"
  }
}

# tl3_requires_posts_read: low-water mark 540
test "keep window: posts read fall below 540 when the day-5 one is 100 days old" {
  event "forum.visited" {
    member = "keep_window_posts"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_window_posts"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_window_posts"
    at     = "11d"
    repeat = 220
  }
  # day 1: gone from the window on day 101
  event "post.read" {
    member = "keep_window_posts"
    at     = "1d"
    repeat = 60
  }
  # day 5: 99 days old on day 104, gone on day 105
  event "post.read" {
    member = "keep_window_posts"
    at     = "5d"
  }
  # still in the window on day 105
  event "post.read" {
    member = "keep_window_posts"
    at     = "12d"
    repeat = 539
  }
  event "topic.replied" {
    member = "keep_window_posts"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_window_posts"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_window_posts"
    at     = "14d"
    repeat = 22
  }
  expect "keep_window_posts" {
    at   = "104d12h"
    tier = "regular"
  }
  expect "keep_window_posts" {
    at   = "105d1h"
    tier = "member"
  }
}

# tl3_requires_likes_given: low-water mark 27
test "keep window: likes given fall below 27 when the day-5 one is 100 days old" {
  event "forum.visited" {
    member = "keep_window_likes_given"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_window_likes_given"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_window_likes_given"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_window_likes_given"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_window_likes_given"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  # day 1: gone from the window on day 101
  event "like.given" {
    member = "keep_window_likes_given"
    at     = "1d"
    repeat = 3
  }
  # day 5: 99 days old on day 104, gone on day 105
  event "like.given" {
    member = "keep_window_likes_given"
    at     = "5d"
  }
  # still in the window on day 105
  event "like.given" {
    member = "keep_window_likes_given"
    at     = "13d"
    repeat = 26
  }
  event "like.received" {
    member = "keep_window_likes_given"
    at     = "14d"
    repeat = 22
  }
  expect "keep_window_likes_given" {
    at   = "104d12h"
    tier = "regular"
  }
  expect "keep_window_likes_given" {
    at   = "105d1h"
    tier = "member"
  }
}

# tl3_requires_likes_received: low-water mark 18
test "keep window: likes received fall below 18 when the day-5 one is 100 days old" {
  event "forum.visited" {
    member = "keep_window_likes_received"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_window_likes_received"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_window_likes_received"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_window_likes_received"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_window_likes_received"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_window_likes_received"
    at     = "13d"
    repeat = 33
  }
  # day 1: gone from the window on day 101
  event "like.received" {
    member = "keep_window_likes_received"
    at     = "1d"
    repeat = 2
  }
  # day 5: 99 days old on day 104, gone on day 105
  event "like.received" {
    member = "keep_window_likes_received"
    at     = "5d"
  }
  # still in the window on day 105
  event "like.received" {
    member = "keep_window_likes_received"
    at     = "14d"
    repeat = 17
  }
  expect "keep_window_likes_received" {
    at   = "104d12h"
    tier = "regular"
  }
  expect "keep_window_likes_received" {
    at   = "105d1h"
    tier = "member"
  }
}

# tl3_requires_max_flagged = 5: one flag on day 0 and five more on day 99
# make six in the window; five more on day 100 make five. One of the 50
# visits is on day 0 too, so that on day 100 the members no longer meet
# the promotion rule and only the keep rule decides.
test "keep window: a flag 99 days old still counts, 100 days old it does not" {
  event "forum.visited" {
    member = "keep_window_flags_in"
    at     = "1h"
  }
  event "forum.visited" {
    member = "keep_window_flags_in"
    at     = "10d1h"
    repeat = 49
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_window_flags_in"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_window_flags_in"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_window_flags_in"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_window_flags_in"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_window_flags_in"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_window_flags_in"
    at     = "14d"
    repeat = 22
  }
  event "post.flagged" {
    member = "keep_window_flags_in"
    at     = "1h"
    attrs  = { flag_type = "spam" }
  }
  event "post.flagged" {
    member = "keep_window_flags_in"
    at     = "99d"
    repeat = 5
    every  = "1h"
    attrs  = { flag_type = "spam" }
  }
  event "forum.visited" {
    member = "keep_window_flags_out"
    at     = "1h"
  }
  event "forum.visited" {
    member = "keep_window_flags_out"
    at     = "10d1h"
    repeat = 49
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_window_flags_out"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_window_flags_out"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_window_flags_out"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_window_flags_out"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_window_flags_out"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_window_flags_out"
    at     = "14d"
    repeat = 22
  }
  event "post.flagged" {
    member = "keep_window_flags_out"
    at     = "1h"
    attrs  = { flag_type = "spam" }
  }
  event "post.flagged" {
    member = "keep_window_flags_out"
    at     = "100d"
    repeat = 5
    every  = "1h"
    attrs  = { flag_type = "spam" }
  }
  expect "keep_window_flags_in" {
    at   = "99d6h"
    tier = "member"
  }
  expect "keep_window_flags_out" {
    at   = "100d6h"
    tier = "regular"
  }
}

# tl3_requires_max_flagged = 5 is not relaxed: 5 flagged posts after the
# grace keep the level, 6 lose it.
test "keep level 3: 5 flagged posts keep a regular" {
  event "forum.visited" {
    member = "keep_flags_at"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_flags_at"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_flags_at"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_flags_at"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_flags_at"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_flags_at"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_flags_at"
    at     = "14d"
    repeat = 22
  }
  event "post.flagged" {
    member = "keep_flags_at"
    at     = "80d"
    repeat = 5
    every  = "1h"
    attrs  = { flag_type = "inappropriate" }
  }
  expect "keep_flags_at" {
    at   = "81d"
    tier = "regular"
  }
}

test "keep level 3: 6 flagged posts demote a regular" {
  event "forum.visited" {
    member = "keep_flags_over"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_flags_over"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_flags_over"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_flags_over"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_flags_over"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_flags_over"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_flags_over"
    at     = "14d"
    repeat = 22
  }
  event "post.flagged" {
    member = "keep_flags_over"
    at     = "80d"
    repeat = 6
    every  = "1h"
    attrs  = { flag_type = "inappropriate" }
  }
  expect "keep_flags_over" {
    at   = "81d"
    tier = "member"
  }
}

# A suspension or a silence after the grace demotes a regular at once.
test "keep level 3: a regular suspended after the grace is demoted" {
  event "forum.visited" {
    member = "keep_suspended"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_suspended"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_suspended"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_suspended"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_suspended"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_suspended"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_suspended"
    at     = "14d"
    repeat = 22
  }
  event "account.suspended" {
    member = "keep_suspended"
    at     = "80d"
    attrs  = { reason = "heated thread" }
  }
  expect "keep_suspended" {
    at   = "79d"
    tier = "regular"
  }
  expect "keep_suspended" {
    at   = "80d1h"
    tier = "member"
  }
}

test "keep level 3: a regular silenced after the grace is demoted" {
  event "forum.visited" {
    member = "keep_silenced"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "keep_silenced"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "keep_silenced"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "keep_silenced"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "keep_silenced"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  event "like.given" {
    member = "keep_silenced"
    at     = "13d"
    repeat = 33
  }
  event "like.received" {
    member = "keep_silenced"
    at     = "14d"
    repeat = 22
  }
  event "account.silenced" {
    member = "keep_silenced"
    at     = "80d"
    attrs  = { reason = "off-topic spam" }
  }
  expect "keep_silenced" {
    at   = "79d"
    tier = "regular"
  }
  expect "keep_silenced" {
    at   = "80d1h"
    tier = "member"
  }
}

# tl3_promotion_min_duration = 14: the same drop (four of the 30 likes
# given were on day 0, and leave the window on day 100, leaving 26 < 27)
# inside the grace and after it. The first member is promoted on day 95 at
# 01:00 with the 50th visit, so day 100 is inside the grace: they stay a
# regular until it ends on day 109 at 01:00. The second is promoted on
# day 59 and is demoted on day 100.
test "grace: a drop below the low-water mark inside the 14 days keeps the level until they end" {
  event "forum.visited" {
    member = "grace_inside"
    at     = "46d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "grace_inside"
    at     = "46d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "grace_inside"
    at     = "47d"
    repeat = 220
  }
  event "post.read" {
    member = "grace_inside"
    at     = "48d"
    repeat = 650
  }
  event "topic.replied" {
    member = "grace_inside"
    at     = "49d"
    repeat = 12
    every  = "1h"
  }
  # day 0: out of the window on day 100
  event "like.given" {
    member = "grace_inside"
    at     = "1h"
    repeat = 4
  }
  event "like.given" {
    member = "grace_inside"
    at     = "49d"
    repeat = 26
  }
  event "like.received" {
    member = "grace_inside"
    at     = "50d"
    repeat = 22
  }
  expect "grace_inside" {
    at   = "94d"
    tier = "member"
  }
  expect "grace_inside" {
    at   = "95d2h"
    tier = "regular"
  }
  expect "grace_inside" {
    at   = "109d"
    tier = "regular"
  }
  expect "grace_inside" {
    at   = "109d2h"
    tier = "member"
  }
}

test "grace: the same drop after the 14 days demotes at once" {
  event "forum.visited" {
    member = "grace_over"
    at     = "10d1h"
    repeat = 50
    every  = "1d"
  }
  event "reading.time" {
    member = "grace_over"
    at     = "10d2h"
    repeat = 90
  }
  event "topic.entered" {
    member = "grace_over"
    at     = "11d"
    repeat = 220
  }
  event "post.read" {
    member = "grace_over"
    at     = "12d"
    repeat = 650
  }
  event "topic.replied" {
    member = "grace_over"
    at     = "13d"
    repeat = 12
    every  = "1h"
  }
  # day 0: out of the window on day 100
  event "like.given" {
    member = "grace_over"
    at     = "1h"
    repeat = 4
  }
  event "like.given" {
    member = "grace_over"
    at     = "13d"
    repeat = 26
  }
  event "like.received" {
    member = "grace_over"
    at     = "14d"
    repeat = 22
  }
  expect "grace_over" {
    at   = "60d"
    tier = "regular"
  }
  expect "grace_over" {
    at   = "99d23h"
    tier = "regular"
  }
  expect "grace_over" {
    at   = "100d1h"
    tier = "member"
  }
}
