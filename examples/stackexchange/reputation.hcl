# Reputation as points, and the privilege ladder as tiers keyed on points.

incentive "reputation_start" {
  description = "Every account starts with 1 reputation"
  on          = "member.joined"
  once        = true
  grant {
    points = 1
    reason = "new account"
  }
}

# Votes earn at most 200 reputation a day. Each incentive has its own cap,
# so answer and question upvotes together can reach 400; see README.md.
incentive "answer_upvoted" {
  description = "+10 when an answer is voted up"
  on          = "post.voted"
  when        = "event.kind == 'answer' && event.vote == 'up'"
  points_cap  = "200/1d"
  grant {
    points = 10
    reason = "answer voted up"
  }
}

incentive "question_upvoted" {
  description = "+5 when a question is voted up"
  on          = "post.voted"
  when        = "event.kind == 'question' && event.vote == 'up'"
  points_cap  = "200/1d"
  grant {
    points = 5
    reason = "question voted up"
  }
}

incentive "post_downvoted" {
  description = "-2 when a question or answer is voted down"
  on          = "post.voted"
  when        = "event.vote == 'down'"
  grant {
    points = -2
    reason = "post voted down"
  }
}

# Accepting your own answer earns nothing, on either side.
incentive "answer_accepted" {
  description = "+15 to the answerer when their answer is accepted"
  on          = "post.accepted"
  when        = "!event.self_answer"
  grant {
    points = 15
    reason = "answer accepted"
  }
}

incentive "accepted_an_answer" {
  description = "+2 to the asker for accepting an answer"
  on          = "post.accepted"
  when        = "!event.self_answer && event.parent_member != ''"
  grant {
    to     = "event.parent_member"
    points = 2
    reason = "accepted an answer"
  }
}

# The privileges of Stack Overflow and the other graduated sites
# (/help/privileges). A member holds the highest rung they reach, and every
# privilege below it. Privileges follow reputation both ways, so keep is
# the same as when.

tier "vote_up" {
  rank     = 1
  title    = "Vote up"
  when     = "member.points >= 15"
  benefits = ["Vote up", "Flag posts"]
}

tier "comment_everywhere" {
  rank     = 2
  title    = "Comment everywhere"
  when     = "member.points >= 50"
  benefits = ["Comment on other people's posts"]
}

tier "set_bounties" {
  rank     = 3
  title    = "Set bounties"
  when     = "member.points >= 75"
  benefits = ["Offer reputation as a bounty on a question"]
}

tier "edit_community_wiki" {
  rank     = 4
  title    = "Edit community wiki"
  when     = "member.points >= 100"
  benefits = ["Edit community wiki posts"]
}

tier "vote_down" {
  rank     = 5
  title    = "Vote down"
  when     = "member.points >= 125"
  benefits = ["Vote down"]
}

tier "review_queues" {
  rank     = 6
  title    = "Access review queues"
  when     = "member.points >= 500"
  benefits = ["Review first posts and late answers"]
}

tier "established_user" {
  rank     = 7
  title    = "Established user"
  when     = "member.points >= 1000"
  benefits = ["See vote counts"]
}

tier "create_tags" {
  rank     = 8
  title    = "Create tags"
  when     = "member.points >= 1500"
  benefits = ["Add new tags to the site"]
}

tier "edit_questions_and_answers" {
  rank     = 9
  title    = "Edit questions and answers"
  when     = "member.points >= 2000"
  benefits = ["Edits to any question or answer apply at once, without review"]
}

tier "close_and_reopen" {
  rank     = 10
  title    = "Cast close and reopen votes"
  when     = "member.points >= 3000"
  benefits = ["Vote to close, reopen or migrate any question"]
}

tier "moderator_tools" {
  rank     = 11
  title    = "Access to moderator tools"
  when     = "member.points >= 10000"
  benefits = ["See and vote on deleted posts", "Moderator reports"]
}

tier "trusted_user" {
  rank     = 12
  title    = "Trusted user"
  when     = "member.points >= 20000"
  benefits = ["Delete and undelete more freely", "Expanded editing"]
}
