"x" + (.alert.title | nosuch_helper)
