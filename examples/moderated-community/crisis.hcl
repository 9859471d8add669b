# The crisis playbook: what the moderators do, step by step, when a
# critical alert fires. Each responder goes through it on their own.

campaign "crisis_playbook" {
  description = "Brief the moderators, post a holding statement, follow up"
  enter_on    = "alert.raised"
  enter_when  = "event.severity == 'critical'"
  reentry     = "always"

  step "brief" {
    send {
      channel  = "dm"
      template = template.crisis_brief
    }
  }
  # One public statement, from the lead moderator's run only.
  step "holding_statement" {
    when = "member.id == 'mod-lin'"
    send {
      channel  = "channel"
      target   = community.tea_house.channel.general
      template = template.holding_statement
    }
  }
  step "check_in" {
    wait = "2h"
    send {
      channel  = "dm"
      template = template.crisis_check_in
    }
  }
  step "retro" {
    wait = "24h"
    send {
      channel  = "dm"
      template = template.crisis_retro
    }
  }
}

template "crisis_brief" {
  text = {
    zh-CN = "危机预案已启动：${event.summary}。请先在 #mod_ops 认领，再查看被举报和被拦截的消息。"
    en    = "Crisis playbook started: ${event.summary}. Claim it in #mod_ops, then go through reported and caught messages."
  }
}

template "holding_statement" {
  text = {
    zh-CN = "我们注意到大家的反馈，管理员正在处理，稍后会在这里更新进展。感谢耐心！We hear you; the moderators are on it and will post an update here soon."
  }
}

template "crisis_check_in" {
  text = {
    zh-CN = "两小时检查：情况是否好转？如果没有，请在 #mod_ops 请求支援。"
    en    = "Two-hour check: is it calming down? If not, ask for help in #mod_ops."
  }
}

template "crisis_retro" {
  text = {
    zh-CN = "请在 #mod_ops 写下这次事件的复盘：起因、处理、下次改进。"
    en    = "Please write the retro in #mod_ops: what happened, what we did, what to change."
  }
}
