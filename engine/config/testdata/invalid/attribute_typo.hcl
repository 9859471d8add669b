# Misspelt attribute names get a suggestion. A misspelt required
# attribute is also missing, reported at the block's opening brace.

platform "local" "main" {
  pth = ".hearth/local.json" # ERROR: Did you mean "path"?
}

community "explorers" { # ERROR: The argument "title" is required
  titel    = "Explorers" # ERROR: Did you mean "title"?
  platform = platform.local.main
  capacty  = 150 # ERROR: Did you mean "capacity"?
  channel "welcome" {
    topik = "Say hi" # ERROR: Did you mean "topic"?
  }
}

segment "lurkers" {
  descripton = "Never post" # ERROR: Did you mean "description"?
  when       = "member.messages == 0"
}

tier "regular" { # ERROR: The argument "when" is required
  rank = 1
  wen  = "member.points >= 100" # ERROR: Did you mean "when"?
}

# An argument the block does not take, in a block that lacks its one
# required argument, is taken for that one, however it is spelt.
segment "vips" { # ERROR: The argument "when" is required
  rule = "member.points > 100" # ERROR: Did you mean "when"? This block requires it and does not set it.
}
