"""Eligibility tools: CRS, FSW grid, CEC/FST checks, physical presence and the program matcher.

The rules are pure functions over plain dataclasses (no web, no database), so the JSON API,
the HTML forms and the benchmark all call exactly the same code.
"""
