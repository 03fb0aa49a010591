"""Analyses over the API: validation against published measurements and calibration of efficiencies.

They call :mod:`capplan.api` and the core; nothing below them calls them."""
