# Surveys: each question is a score or a choice, with text in the
# default locale; sends name surveys by reference.

platform "local" "main" {}

community "explorers" {
  title    = "Explorers"
  platform = platform.local.main
}

survey "empty" { # ERROR: Survey without questions
}

survey "pulse" {
  question "both" {
    text    = { en = "?" }
    score   = true
    choices = ["a"] # ERROR: Score question with choices
  }
  question "neither" { # ERROR: Question without answers
    text = { en = "?" }
  }
  question "german" {
    text  = { de = "Wie?" } # ERROR: No text for the default locale
    score = true
  }
  question "bad" {
    text    = { en = "?" }
    choices = ["ok", "not ok"] # ERROR: Invalid choice
  }
  question "dup" {
    text  = { en = "?" }
    score = true
  }
  question "dup" { # ERROR: Duplicate question
    text  = { en = "?" }
    score = true
  }
  # Replies are read whatever their case: these would read the same.
  question "DUP" { # ERROR: Questions differ only in case
    text  = { en = "?" }
    score = true
  }
  question "case" {
    text    = { en = "?" }
    choices = ["yes", "Yes"] # ERROR: Invalid choice
  }
}

campaign "ask" {
  enter_on = "member.joined"
  step "a" {
    send {
      channel = "dm"
      survey  = survey.puls # ERROR: Reference to undeclared survey
    }
  }
}
