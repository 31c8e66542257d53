"""The ``web`` fixture (:mod:`webfixture`): a web app over a small fleet and its ledger."""

from webfixture import web

__all__ = ["web"]
