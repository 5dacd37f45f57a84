if .id == "x-tag" then "<b>unclosed"
elif .id == "x-entity" then "&apos;quoted&apos;"
elif .id == "x-blank" then " \n <b> </b>\n"
elif .id == "x-number" then 42
elif .id == "x-error" then error("custom failure")
elif .id == "x-empty" then empty
elif .id == "x-long" then "<i>" + ("&amp;" * 5000) + "</i>"
else "<b>ok</b> " + (.alert.title | tg_escape) end
