"""Grafana dashboards and their provisioning, generated from code (``pubwifi dashboards``).

The JSON in ``dashboards/`` is this package's output, committed so that a Grafana can load it
without pubwifi installed; a test fails when the committed files differ from a fresh build.
"""
