.alert | {
  "oops"
