# Nurturing: walk new fans towards supporter, and welcome new ambassadors.
# Every template has English and Simplified Chinese text; members get their
# own locale, then English.

campaign "fan_nurture" {
  description = "From a member's first points to supporter: invite friends, share work, come back"
  community   = community.inkwell
  enter_on    = "tier.changed"
  enter_when  = "event.to == 'fan'"
  # Once: a fan who drops back and returns is nurtured no more.
  reentry = "never"
  # The goal: becoming a supporter ends the campaign, wherever the member is.
  exit_when     = "tier_rank() >= rank_of('supporter')"
  frequency_cap = "2/7d"

  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }

  step "welcome" {
    send {
      channel  = "dm"
      template = template.fan_welcome
    }
  }

  step "invite_friends" {
    wait = "3d"
    at   = "19:00"
    send {
      channel  = "dm"
      template = template.invite_friends
    }
  }

  # Wait up to three weeks for a first friend to become active.
  step "wait_first_referral" {
    wait_until = "member.referrals >= 1"
    timeout    = "21d"
    on_timeout = "showcase_invite"
  }

  step "thank_referrer" {
    send {
      channel  = "dm"
      template = template.first_referral_thanks
    }
    goto = "supporter_perks"
  }

  # No referral yet: invite them to share their work instead, by email,
  # where there is room for pictures.
  step "showcase_invite" {
    send {
      channel  = "email"
      platform = platform.email.news
      template = template.showcase_email
    }
  }

  step "supporter_perks" {
    wait = "7d"
    at   = "19:00"
    send {
      channel  = "dm"
      template = template.supporter_perks
    }
  }
}

campaign "ambassador_welcome" {
  description = "Hand new ambassadors their kit, introduce them, and check in after a month"
  community   = community.inkwell
  enter_on    = "tier.changed"
  enter_when  = "event.to == 'ambassador' && event.from != 'partner'"
  # An ambassador who lapses and comes back gets the welcome again, but not
  # within six months.
  reentry       = "after"
  reentry_after = "180d"

  quiet_hours {
    from = "22:00"
    to   = "08:00"
  }

  step "kit" {
    send {
      channel  = "dm"
      template = template.ambassador_kit
    }
  }

  step "introduce" {
    wait = "1d"
    send {
      channel  = "channel"
      target   = community.inkwell.channel.ambassadors
      template = template.ambassador_intro
    }
  }

  step "check_in" {
    wait = "30d"
    send {
      channel  = "email"
      platform = platform.email.news
      template = template.ambassador_checkin
    }
  }
}

template "fan_welcome" {
  description = "First message of fan_nurture"
  text = {
    en    = "Hi ${member.name}, thanks for being part of ${community.title}! You are now an Inkwell fan. Your referral link is on your profile: when a friend you invite joins and becomes active, you both get rewarded."
    zh-CN = "${member.name}，你好！感谢你加入 ${community.title}，你现在是 Inkwell 粉丝了。你的专属邀请链接在个人资料里：你邀请的朋友加入并活跃起来后，你们都会获得奖励。"
  }
}

template "invite_friends" {
  description = "How referrals work"
  text = {
    en    = "${member.name}, know someone who takes notes by hand? Share your link in #invites or with friends. 20 points when they join, 150 more when they become active, and badges at 1, 5 and 25 friends."
    zh-CN = "${member.name}，身边有喜欢手写笔记的朋友吗？在 #invites 或者直接把链接分享给朋友：朋友加入得 20 积分，朋友活跃起来再得 150 积分，邀请满 1、5、25 位还有徽章。"
  }
}

template "first_referral_thanks" {
  description = "A first invited friend became active"
  text = {
    en    = "Your first invited friend is now an active member. Thank you, ${member.name}! You earned the Bronze Advocate badge, and you now have ${member.points} points."
    zh-CN = "你邀请的第一位朋友已经活跃起来了，谢谢你，${member.name}！你获得了铜牌推广者徽章，现在共有 ${member.points} 积分。"
  }
}

template "showcase_email" {
  description = "Invitation to post in #showcase"
  subject = {
    en    = "Show us your Inkwell pages, ${member.name}"
    zh-CN = "${member.name}，来晒晒你的 Inkwell 笔记吧"
  }
  text = {
    en    = "Hi ${member.name},\n\nEvery week people share the templates, planners and sketches they made on their Inkwell in #showcase. A showcase post earns 25 points, and the best ones are featured in the newsletter.\n\nWe would love to see yours.\n\nThe Inkwell community team"
    zh-CN = "${member.name}，你好：\n\n每周都有朋友在 #showcase 分享自己在 Inkwell 上做的模板、手帐和速写。发一篇展示帖可得 25 积分，优秀作品还会登上社区周报。\n\n期待看到你的作品！\n\nInkwell 社区团队"
  }
  html = {
    en    = "<p>Hi ${member.name},</p><p>Every week people share the templates, planners and sketches they made on their Inkwell in <b>#showcase</b>. A showcase post earns 25 points, and the best ones are featured in the newsletter.</p><p>We would love to see yours.</p><p>The Inkwell community team</p>"
    zh-CN = "<p>${member.name}，你好：</p><p>每周都有朋友在 <b>#showcase</b> 分享自己在 Inkwell 上做的模板、手帐和速写。发一篇展示帖可得 25 积分，优秀作品还会登上社区周报。</p><p>期待看到你的作品！</p><p>Inkwell 社区团队</p>"
  }
}

template "supporter_perks" {
  description = "What supporters get"
  text = {
    en    = "${member.name}, you are ${member.points_earned} points into the fan program. At 300 points and six active days in a month you become a supporter: a role, a vote on the roadmap and 10% off accessories."
    zh-CN = "${member.name}，你在粉丝计划里已经累计获得 ${member.points_earned} 积分。累计 300 积分、且一个月内有 6 天活跃，就能成为支持者：专属身份组、参与路线图投票，配件九折。"
  }
}

template "ambassador_kit" {
  description = "Sent on promotion to ambassador"
  text = {
    en    = "Congratulations, ${member.name}: you are now an Inkwell Ambassador! You have access to #ambassadors, early firmware builds and a free accessory every quarter. Your ambassador kit (guidelines, logos, talking points) is pinned in #ambassadors."
    zh-CN = "恭喜你，${member.name}，你已成为 Inkwell 社区大使！你现在可以进入 #ambassadors 频道，抢先体验测试版固件，每季度还能领取一件免费配件。大使资料包（指南、标志、介绍要点）已置顶在 #ambassadors。"
  }
}

template "ambassador_intro" {
  description = "Posted in #ambassadors the day after a promotion"
  text = {
    en    = "Please welcome ${member.name}, our newest ambassador! They have brought ${member.referrals} friends into the community so far."
    zh-CN = "欢迎新任社区大使 ${member.name}！到目前为止，TA 已经邀请了 ${member.referrals} 位朋友加入社区。"
  }
}

template "ambassador_checkin" {
  description = "One month after a promotion to ambassador"
  subject = {
    en    = "A month as an Inkwell Ambassador"
    zh-CN = "成为 Inkwell 社区大使一个月了"
  }
  text = {
    en    = "Hi ${member.name},\n\nYou have been an ambassador for a month. How is it going? Reply to this email with anything you need from us: materials, review units for an event, or introductions.\n\nAmbassadors who run events or bring in shops and creators are who we invite to become partners.\n\nThe Inkwell community team"
    zh-CN = "${member.name}，你好：\n\n你担任社区大使已经一个月了，一切还顺利吗？需要什么支持都可以直接回复这封邮件：宣传物料、活动用的体验机，或者帮你牵线搭桥。\n\n我们会从组织活动、引荐门店和创作者的大使中邀请合作伙伴。\n\nInkwell 社区团队"
  }
  html = {
    en    = "<p>Hi ${member.name},</p><p>You have been an ambassador for a month. How is it going? Reply to this email with anything you need from us: materials, review units for an event, or introductions.</p><p>Ambassadors who run events or bring in shops and creators are who we invite to become partners.</p><p>The Inkwell community team</p>"
    zh-CN = "<p>${member.name}，你好：</p><p>你担任社区大使已经一个月了，一切还顺利吗？需要什么支持都可以直接回复这封邮件：宣传物料、活动用的体验机，或者帮你牵线搭桥。</p><p>我们会从组织活动、引荐门店和创作者的大使中邀请合作伙伴。</p><p>Inkwell 社区团队</p>"
  }
}
