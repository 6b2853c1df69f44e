"""Routing, tracking and carriers behind the API: the glue between requests and the core.

`documents` (networks, shipment sets), `uploads` (shipment bodies), `jobs` (the
plan and what-if job kinds), `plans` (itinerary rows), `tracked` (shipments under
tracking, their versions and legs), `events` (carrier events -> the core's ETA
and re-planning), `outcomes` (carrier outcomes and scores), `timetables` and
`cache` (what is kept between requests), `present` (the core's results as JSON).
"""
