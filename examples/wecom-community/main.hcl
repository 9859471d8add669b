# 深圳创客社区 (Shenzhen Makers), a maker community that lives in WeCom
# (企业微信): members are in the community's WeCom organisation, a group
# chat carries the announcements, and a small bridge service posts what
# members do to hearth as signed webhook events. See README.md.

hearth {
  required_version = ">= 0.1"
  timezone         = "Asia/Shanghai"
  default_locale   = "zh-CN"
  frequency_cap    = "3/24h"

  state {
    backend = "sqlite"
    path    = ".hearth/state.db"
  }
}

# Credentials come from the environment (HEARTH_VAR_wecom_robot_key ...),
# never from these files. Empty defaults let validate, test and simulate
# run without them; hearth run refuses to start a platform whose
# credentials are empty.
variable "wecom_robot_key" {
  type        = string
  description = "Key of the group robot (群机器人) in the announcements group"
  sensitive   = true
  default     = ""
}

variable "wecom_corp_secret" {
  type        = string
  description = "Secret of the WeCom application that sends direct messages"
  sensitive   = true
  default     = ""
}

variable "events_secret" {
  type        = string
  description = "Shared secret of the bridge that posts member events"
  sensitive   = true
  default     = ""
}

# WeCom: the group robot posts channel messages in the announcements group,
# the application (应用) sends direct messages to members by their userid.
platform "wecom" "corp" {
  robot_key   = var.wecom_robot_key
  channel     = "announcements"
  msgtype     = "markdown"
  corp_id     = "ww7a1c0ffee5e1f2a3"
  corp_secret = var.wecom_corp_secret
  agent_id    = 1000002
  # WeCom drops an identical direct message within 4h: a resend after a
  # crash never reaches the member twice.
  duplicate_check = "4h"
}

# Member events arrive at POST /v1/inbound/webhook/bridge, signed with
# HMAC-SHA256 (X-Hearth-Timestamp, X-Hearth-Signature).
platform "webhook" "bridge" {
  secret  = var.events_secret
  inbound = true
}

community "makers" {
  title       = "深圳创客社区"
  platform    = platform.wecom.corp
  purpose     = "Makers in Shenzhen sharing builds, tools and workshops"
  audience    = "Hardware hobbyists, students and engineers"
  capacity    = 0
  house_rules = <<-EOT
    1. 友善交流，对事不对人。
    2. 分享作品欢迎，广告请勿发。
    3. 新人提问请耐心解答。
  EOT

  # The block name is the channel's address (campaigns target
  # community.makers.channel.announcements, the robot's channel setting
  # names it); title is the group's name as members see it in WeCom.
  channel "announcements" {
    title = "社区公告"
    topic = "活动通知与社区公告"
  }
}
