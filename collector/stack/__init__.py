"""The local stack: third-party servers (InfluxDB, Prometheus, ...) run on loopback for pubwifi.

``pubwifi stack up|down|status``. Each server is a :class:`~collector.stack.service.Service`
(data: binary, Debian package, config writer, argv, readiness URL), so adding one is adding a
value to :func:`collector.stack.services.default_services`. Everything lives under
``<data_dir>/stack/``: one folder per service (config, data, log) and one ``<name>.pid`` file.
"""
