# Role colors are "#rrggbb".

platform "local" "main" {}

community "explorers" {
  title    = "Explorers"
  platform = platform.local.main
  role "a" {
    color = "red" # ERROR: "red" is not a color; write "#rrggbb"
  }
  role "b" {
    color = "#fff" # ERROR: Invalid color
  }
  role "c" {
    color = "f1c40f" # ERROR: Invalid color
  }
  role "d" {
    color = "#F1C40F"
  }
}
