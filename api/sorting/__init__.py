"""Sorting behind the API: stored layouts, forecasts and plan versions, live sorters in memory.

`runtime` keeps one assigner per sorter (the hot path never touches the database) and
persists its state off the hot path; `jobs` registers `sorting.optimize`.
"""
