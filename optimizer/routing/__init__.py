"""Routing: VRPTW legs, cross-border network, tariffs, itineraries, planning."""
