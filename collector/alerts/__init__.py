"""Alerting: rules as data, AP conditions from stored data, dependency-aware alerts, notifications.

``rules.py`` loads the strict rules file (packaged ``alerts.yaml``, or ``PUBWIFI_ALERTS``);
``conditions.py`` decides which APs are in each rule's condition from what
``signals.py`` reads (InfluxDB ``ap_poll``/``radio_poll``/``ap_usage_hourly``, the event, SSH
facts and config stores, the collector's spool); ``engine.py`` groups APs into site and district
alerts, applies maintenance and suppressions and keeps the firing/resolved state in
``store.py`` (``DATA_DIR/alerts/alerts.sqlite``, with the notification outbox);
``notify.py`` sends webhooks and email with retries and dead letters; ``service.py`` is the one
call the collector makes (:func:`collector.alerts.service.evaluate_and_notify`); ``cli.py`` is
``pubwifi alerts``. It imports nothing from provisioning/ or web/: provisioning writes its
maintenance and expected config changes through :class:`collector.alerts.store.AlertStore`.
"""
