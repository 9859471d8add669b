# Misspelt block types get a suggestion.

segmnt "lurkers" { # ERROR: Did you mean "segment"?
  when = "member.messages == 0"
}

comunity "explorers" { # ERROR: Did you mean "community"?
  title = "Explorers"
}

incentiv "posting" { # ERROR: Did you mean "incentive"?
  on = "message.posted"
}

templates "welcome" { # ERROR: Did you mean "template"?
  text = { en = "Hi" }
}

widget "x" { # ERROR: Blocks of type "widget" are not expected here.
}
