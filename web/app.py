"""The web UI: a Flask app over the inventory, the ledger and the reports (module per concern:
:mod:`.users` who may do what, :mod:`.snapshot` the fleet's figures made in the background,
:mod:`.device` one AP's story, :mod:`.pages` and :mod:`.api` the routes).

Security: every page and ``/api`` route needs a login (Flask-Login); every POST carries a CSRF
token (Flask-WTF); the session cookie is HttpOnly and SameSite=Lax (and Secure with
``PUBWIFI_WEB_TLS=1``); failed logins are rate-limited per name and address; Jinja escapes
every value (device-supplied strings are data) and a Content-Security-Policy allows no inline
script at all.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import Babel
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect

from collector.inventory.model import AccessPoint
from collector.ledger.mirror import LedgerMirror
from collector.ledger.polls import QueryClient
from collector.savings.tariff import TariffBook
from web import i18n, numbers
from web.search import SearchIndex
from web.snapshot import Refresher
from web.users import LoginThrottle, Role, User, UserStore

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


@dataclass
class WebContext:
    """Everything the routes read; one per app."""

    inventory: Sequence[AccessPoint]
    by_id: dict[str, AccessPoint]
    by_district: dict[str, list[AccessPoint]]
    query: QueryClient
    book: TariffBook
    mirror: LedgerMirror | None
    refresher: Refresher
    users: UserStore
    throttle: LoginThrottle
    search: SearchIndex
    reports_root: Path
    data_dir: Path
    started: float


class LoginUser(UserMixin):  # type: ignore[misc]
    def __init__(self, user: User) -> None:
        self.user = user
        self.id = user.name

    @property
    def role(self) -> Role:
        return self.user.role


def context() -> WebContext:
    ctx: WebContext = current_app.extensions["pubwifi"]
    return ctx


def requires(role: Role) -> Callable[[F], F]:
    """Login and at least ``role`` (403 otherwise; the login page when not logged in)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if not current_user.is_authenticated:
                if request.path.startswith("/api/"):
                    return {"error": "login required"}, 401
                return redirect(url_for("pages.login", next=request.full_path))
            if current_user.user.must_change and request.endpoint != "pages.password":
                return redirect(url_for("pages.password"))
            if current_user.role < role:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def _by_district(inventory: Sequence[AccessPoint]) -> dict[str, list[AccessPoint]]:
    out: dict[str, list[AccessPoint]] = {}
    for ap in inventory:
        out.setdefault(ap.district.code, []).append(ap)
    return out


def current_lang() -> str:
    lang = request.cookies.get("lang") if request else None
    return lang if lang in i18n.LANGS else i18n.DEFAULT_LANG


def create_app(
    *,
    secret_key: str,
    inventory: Sequence[AccessPoint],
    query: QueryClient,
    book: TariffBook,
    mirror: LedgerMirror | None,
    refresher: Refresher,
    users: UserStore,
    data_dir: Path,
    reports_root: Path | None = None,
    tls: bool | None = None,
    testing: bool = False,
) -> Flask:
    from web.alert_pages import alerts, firing_count, readable_detail
    from web.api import api
    from web.pages import pages
    from web.provisioning_pages import provisioning
    from web.rollout_pages import rollout

    app = Flask(__name__)
    tls = os.environ.get("PUBWIFI_WEB_TLS", "") in ("1", "true", "yes") if tls is None else tls
    app.config.update(
        SECRET_KEY=secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=tls,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=tls,
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        TESTING=testing,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.extensions["pubwifi"] = WebContext(
        inventory=inventory,
        by_id={ap.id: ap for ap in inventory},
        by_district=_by_district(inventory),
        query=query,
        book=book,
        mirror=mirror,
        refresher=refresher,
        users=users,
        throttle=LoginThrottle(),
        search=SearchIndex(inventory),
        reports_root=reports_root or data_dir / "reports",
        data_dir=data_dir,
        started=time.time(),
    )
    CSRFProtect(app)
    Babel(
        app,
        locale_selector=current_lang,
        timezone_selector=lambda: "Asia/Seoul",
        default_translation_directories=str(i18n.compiled_catalogues(data_dir / "web")),
    )
    login = LoginManager(app)
    login.login_view = "pages.login"
    login.session_protection = "strong"

    @login.user_loader  # type: ignore[untyped-decorator]
    def load_user(name: str) -> LoginUser | None:
        user = users.get(name)
        return None if user is None else LoginUser(user)

    @app.after_request
    def headers(response: Any) -> Any:
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if tls:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    @app.context_processor
    def helpers() -> dict[str, Any]:
        lang = current_lang()
        return {
            "lang": lang,
            "n": numbers,
            "Role": Role,
            "me": current_user.user if current_user.is_authenticated else None,
            "snapshot": app.extensions["pubwifi"].refresher.snapshot(),
            "health": app.extensions["pubwifi"].refresher.health(),
            "now": time.time(),
            "firing_alerts": firing_count if current_user.is_authenticated else (lambda: 0),
        }

    app.jinja_env.filters["krw"] = lambda v: numbers.krw(v, current_lang())
    app.jinja_env.filters["won"] = lambda v: numbers.krw_exact(v, current_lang())
    app.jinja_env.filters["count"] = lambda v: numbers.count(v, current_lang())
    app.jinja_env.filters["data"] = numbers.data
    app.jinja_env.filters["pct"] = numbers.percent
    app.jinja_env.filters["kst"] = numbers.kst
    app.jinja_env.filters["trap_detail"] = readable_detail
    app.register_blueprint(pages)
    app.register_blueprint(api)
    app.register_blueprint(provisioning)
    app.register_blueprint(rollout)
    app.register_blueprint(alerts)

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:  # no login: a readiness probe, no data
        ready = app.extensions["pubwifi"].refresher.snapshot() is not None
        return {"ok": True, "snapshot": ready}

    @app.get("/lang/<code>")
    def set_lang(code: str) -> ResponseReturnValue:
        target = request.args.get("next") or "/"
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        response = redirect(target)
        if code in i18n.LANGS:
            response.set_cookie(
                "lang", code, max_age=365 * 86400, samesite="Lax", httponly=True, secure=tls
            )
        return response

    return app
