"""The surge lab: what proves the site stays up, fair and lossless on the night.

profiles.py   traffic profiles (YAML data under profiles/), scaled and compressed
arrivals.py   Poisson arrivals that follow a profile (open loop)
addresses.py  one loopback source address per person; the loopback-only guard
browser.py    a person's browser: waiting page, Retry-After, impatience, patience
journeys.py   readers, tool users, applicants, status checkers
recorder.py   outcomes and HDR latency from intended send times
crowd.py      the people of one surge, bounded, and the generator's own health
waiting.py    waiting-room figures from what people saw
audit.py      every receipt shown exists exactly once in the site's data
run.py        one surge against one site;  compare.py: every contender, one report
contenders.py the sites compare starts (protected, unprotected, uvicorn-, nginx-limit)
server.py     server processes pinned to a core;  flood.py, httperf.py: one-page floods
report.py     report.json;  report_page.py: report.html;  cli.py: ``northbound lab``
shape.py, locustfile.py  the same profiles and journeys under Locust
case_route.py, config.py ``/lab/case``, a page behind a bounded backend (bench/)
"""
