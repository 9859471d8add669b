# Every text needs the default locale; locale keys are tags.

hearth {
  default_locale = "de"
}

template "a" {
  text = { # ERROR: template "a" falls back to "de", but text has no "de" entry.
    en = "Hi"
  }
}

template "b" {
  default_locale = "fr"
  text = { # ERROR: falls back to "fr", but text has no "fr" entry
    de = "Hallo"
  }
  subject = { # ERROR: falls back to "fr", but subject has no "fr" entry
    de = "Willkommen"
  }
}

template "c" {
  text = {
    de    = "Hallo"
    EN    = "Hi" # ERROR: "EN" is not a locale tag; use forms such as en, en-GB or zh-CN. Did you mean "en"?
    zh_CN = "你好" # ERROR: Did you mean "zh-CN"?
    de    = "Hallo!" # ERROR: text has text for "de" twice.
  }
}

template "d" {
  default_locale = "German" # ERROR: Invalid locale
  text           = { de = "Hallo" }
}

template "e" {
  text = "Hallo" # ERROR: text must be an object of locale = text
}
