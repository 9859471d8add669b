# Rule tests: run `hearth test examples/wecom-community`. Times are
# offsets from the start.

test "a first build earns the badge and points once" {
  event "member.joined" {
    member = "zhangsan"
    at     = "1h"
    attrs  = { name = "张三", locale = "zh-CN" }
  }
  event "project.shared" {
    member = "zhangsan"
    at     = "2d"
    repeat = 3
    every  = "1d"
    attrs  = { title = "ESP32 气象站" }
  }
  expect "zhangsan" {
    at     = "5d"
    points = 20
    badges = ["first_build"]
  }
}

test "a newcomer who stays silent for a week is a quiet newcomer" {
  event "member.joined" {
    member = "lisi"
    at     = "1h"
  }
  expect "lisi" {
    at              = "3d"
    in_segments     = ["newcomers"]
    not_in_segments = ["quiet_newcomers"]
  }
  expect "lisi" {
    at          = "8d"
    in_segments = ["newcomers", "quiet_newcomers"]
  }
}

test "posting once ends the quiet spell" {
  event "member.joined" {
    member = "wangwu"
    at     = "1h"
  }
  event "message.posted" {
    member = "wangwu"
    at     = "9d"
  }
  expect "wangwu" {
    at              = "10d"
    in_segments     = ["newcomers"]
    not_in_segments = ["quiet_newcomers"]
  }
}
