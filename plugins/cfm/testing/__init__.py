"""Local stand-ins for external services that cannot run here (SaaS APIs).

They speak the documented HTTP protocols so the real clients run unchanged against them.
Used by the tests and by `make demo`; never by production code paths.
"""
