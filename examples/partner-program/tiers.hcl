# fan -> supporter -> ambassador -> partner
#
# Tiers look at points_earned, never at the balance: spending points in the
# swag shop must not cost anyone their tier.

tier "fan" {
  rank        = 1
  title       = "Fan"
  description = "Has started to take part."
  community   = community.inkwell
  when        = "member.points_earned >= 10"
  keep        = "true"
  benefits    = ["The fan newsletter", "Your own referral link"]
}

tier "supporter" {
  rank        = 2
  title       = "Supporter"
  description = "Takes part week after week."
  community   = community.inkwell
  when        = "member.points_earned >= 300 && active_days('30d') >= 6"
  keep        = "active_days('60d') >= 4"
  # A quiet month is not a reason to lose the role: keep must fail for two
  # weeks in a row.
  demote_after = "14d"
  role         = community.inkwell.role.supporter
  benefits     = ["Supporter role", "Vote on the community roadmap", "10% off accessories"]
}

tier "ambassador" {
  rank        = 3
  title       = "Ambassador"
  description = "Brings people in and helps them stay."
  community   = community.inkwell
  when        = "member.referrals >= 3 && member.points_earned >= 1500 && active_days('30d') >= 10 && member.strikes == 0"
  keep        = "active_days('60d') >= 8 && member.strikes < 2"
  # Qualify for two weeks without a break before the promotion, so a single
  # busy week does not make an ambassador.
  window       = "14d"
  grace        = "30d"
  demote_after = "14d"
  role         = community.inkwell.role.ambassador
  benefits = [
    "Ambassador role and the private #ambassadors channel",
    "Early firmware builds",
    "A free accessory every quarter",
    "A monthly call with the product team",
  ]
}

# Partners sign a contract (revenue share, review units, co-marketing), so
# nobody becomes one by rule. Add a member's id here by pull request once
# the contract is signed; remove it when the contract ends.
tier "partner" {
  rank        = 4
  title       = "Partner"
  description = "Creators and shops with a signed partner agreement."
  community   = community.inkwell
  when        = "false"
  locked = [
    "discord:184467442",
    "discord:220938811",
  ]
  role = community.inkwell.role.partner
  benefits = [
    "Partner role and the private #partners channel",
    "Revenue share on referred sales",
    "Review units before launch",
    "Co-marketing with Inkwell",
  ]
}
