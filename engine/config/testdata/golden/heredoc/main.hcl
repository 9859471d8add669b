# Rule errors point at the token inside heredocs and templates.
variable "x" {
  default = 601
}

locals {
  low = 0.9
}

segment "readers" {
  description = "Reads a lot"
  when = <<-EOT
    member.points >= 0 &&
    count('post.viewed', '100d') >= ${var.x * local.low} &&
      count('post.flaged', '100d') == 0 &&
    member.pionts > 1
  EOT
}

segment "quoted" {
  when = "member.name != \"Zo\u00eb\" && member.nmae != '\t' && count('post.flaged', '1d') == 0"
}

segment "interpolated" {
  when = "count('post.viewed', '${var.x}d') >= ${var.x * local.low} && member.pionts > 0"
}

segment "escaped" {
  when = <<-EOT
    member.name != '$${literal}' && member.vip
  EOT
}

incentive "timed" {
  on   = "member.joined"
  when = <<-EOT
    event.attrs.referrer != '' &&
    event.attrs['minutes'] > 3
  EOT
  grant {
    points = 1
  }
}

segment "warned" {
  when = <<-EOT
    member.points > 1 &&
    any(member.attrs.tags, {# == 'mentor'})
  EOT
}

tier "whole" {
  rank = 1
  when = <<-EOT
    member.points +
    member.messages
  EOT
}
