-- wrk script for a plain GET (GET /healthz of citycode and of nginx): wrk's
-- own static request, only the summary line of common.lua added.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "common.lua")
