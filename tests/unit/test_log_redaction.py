"""Private tokens are cut out of what the server logs."""

from __future__ import annotations

import logging

from confman.app import create_app
from confman.lib.log_redaction import RedactPrivateTokens
from confman.settings import Settings

TOKENS = {
    "/me/m_Sx9kQ2vZp0aW3nE7rT5yU1iO8lK4jH6gF2dS0aP9qW/": "/me/[token]/",
    "/me/f_zA3KnuE6Sm7hIzmeV_bAD2Rc17mroF_4Yck7QjudZQo/calendar.ics": "/me/[token]/calendar.ics",
    "/join/j_vop3ZiJbs5s5zTJvBlZL67SlZ7THqOz2CYMOj7MV_nM/limits-of-cop26": "/join/[token]/limits-of-cop26",
    "/climate-2027/register/confirm/c_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVw": "/climate-2027/register/confirm/[token]",
    "/climate-2027/programme/?tz=Asia/Tokyo": "/climate-2027/programme/?tz=Asia/Tokyo",
    # Organisers search registrations by e-mail address: the terms stay out of the log.
    "/orga/climate-2027/registrations/?status=confirmed&q=rosa%40example.org&page=2": (
        "/orga/climate-2027/registrations/?status=confirmed&q=[redacted]&page=2"
    ),
    "/api/v1/conferences/climate-2027/registrations?q=rosa@example.org": (
        "/api/v1/conferences/climate-2027/registrations?q=[redacted]"
    ),
}


def test_uvicorn_access_lines_lose_the_token_and_keep_the_rest() -> None:
    for path, expected in TOKENS.items():
        # uvicorn's access record: (client, method, path, http version, status)
        record = logging.LogRecord(
            "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5000", "GET", path, "1.1", 302), None,
        )  # fmt: skip
        assert RedactPrivateTokens().filter(record)
        assert record.getMessage() == f'127.0.0.1:5000 - "GET {expected} HTTP/1.1" 302'


def test_the_app_installs_the_filter_on_the_server_loggers() -> None:
    create_app(Settings(database_url="sqlite+aiosqlite:///:memory:", mail_worker_embedded=False))
    for name in ("uvicorn.access", "uvicorn.error", "granian.access"):
        filters = logging.getLogger(name).filters
        assert sum(isinstance(existing, RedactPrivateTokens) for existing in filters) == 1


def test_granian_access_lines_lose_the_token_and_the_search_terms() -> None:
    for path, expected in TOKENS.items():
        # granian's access record: one dict argument, the query string apart and without its "?"
        route, _, query = path.partition("?")
        fields = {"addr": "127.0.0.1", "method": "GET", "path": route, "query_string": query, "status": 302}
        record = logging.LogRecord(
            "granian.access", logging.INFO, __file__, 1, '%(addr)s - "%(method)s %(path)s?%(query_string)s" %(status)d',
            (fields,), None,
        )  # fmt: skip
        assert RedactPrivateTokens().filter(record)
        assert record.getMessage().replace('?"', '"') == f'127.0.0.1 - "GET {expected}" 302'
