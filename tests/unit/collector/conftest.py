"""Puts this folder on ``sys.path`` (pytest's rootdir-less conftest rule) so the shared fakes
(``fake_influxql``) import from the tests in ``collect/`` and ``ledger/`` below it."""
