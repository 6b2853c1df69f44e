"""`optimizer demo`: the whole product end to end against the API, in process."""

from api.demo.run import DemoOptions, DemoReport, run_demo

__all__ = ["DemoOptions", "DemoReport", "run_demo"]
