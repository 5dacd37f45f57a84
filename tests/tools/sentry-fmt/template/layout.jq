# A compact one-line layout, then the default text in a quote.
(.alert // {}) as $a
| ($a.level // "error" | ascii_upcase) as $lvl
| "<b>[" + ($lvl | tg_escape) + "]</b> "
  + ($a.title // "digest" | tg_trim(60) | tg_escape)
  + (if $a.environment then " in " + ($a.environment | tg_code) else "" end)
  + (if $a.url then "\n" + ($a.url | tg_link("open")) else "" end)
  + (if .fmt.first_seen then "\nsince " + (.fmt.first_seen | tg_escape) + " " + .fmt.tz else "" end)
  + "\n" + (.fmt.text | length | tostring) + " bytes of default text"
