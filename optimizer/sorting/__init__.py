"""Sorting: sorter layouts, sort plans, plan optimizer, real-time assigner, simulator."""
