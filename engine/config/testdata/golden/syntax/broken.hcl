segment "lurkers" {
  when = "member.messages == 0"

community "x" {
  title = "标题"
