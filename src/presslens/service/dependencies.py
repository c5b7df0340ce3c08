"""What routes are given (FastAPI dependencies): the settings, the analyser, the corpus store
opened read-only for the request, the filters of a corpus question, and the token check."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Annotated, cast

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from presslens.corpus.queries import Filters
from presslens.errors import PresslensError
from presslens.service.analysis import Analyzer
from presslens.service.errors import ApiError
from presslens.service.settings import ServiceSettings
from presslens.store.store import Store, StoreDamagedError, StoreError

log = logging.getLogger("presslens.service")

NO_STORE = "this server has no corpus store (start it with `presslens serve --store FILE`)"
AUTH_SCHEME = "Bearer"  # RFC 6750; compared in any case, as HTTP's auth schemes are
TOKEN_NEEDED = "this server needs 'Authorization: Bearer <token>' for POST requests"


def service_settings(request: Request) -> ServiceSettings:
    return cast(ServiceSettings, request.app.state.settings)


def analyzer(request: Request) -> Analyzer:
    return cast(Analyzer, request.app.state.analyzer)


Settings = Annotated[ServiceSettings, Depends(service_settings)]


def corpus_store(settings: Settings) -> Iterator[Store]:
    """The store, opened read-only for one request (so a store being written by an ingest is
    seen as it grows) and closed when the route returns. Every failure to open it is a 503; a
    question it cannot answer (an unknown actor, outlet, technique) a 404, or a 400."""
    if settings.store_path is None:
        raise ApiError(503, NO_STORE)
    try:
        store = Store(settings.store_path, read_only=True)
    except StoreDamagedError as error:
        log.error("%s", error)  # the one line the operator needs; the client gets it too
        raise ApiError(503, str(error)) from None
    except StoreError as error:  # missing, busy (StoreBusyError), not a store
        raise ApiError(503, str(error)) from None
    try:
        yield store
    except StoreError as error:  # damage found by the query (StoreDamagedError)
        log.error("%s", error)
        raise ApiError(503, str(error)) from None
    except PresslensError as error:  # QueryError: an unknown actor, outlet, technique
        message = str(error)
        raise ApiError(404 if message.startswith("no ") else 400, message) from None
    finally:
        store.close()


# Closed as soon as the route returns, before the answer is sent.
CorpusStore = Annotated[Store, Depends(corpus_store, scope="function")]


def date_filters(since: date | None = None, until: date | None = None) -> Filters:
    if since and until and since > until:
        raise ApiError(400, "'since' is after 'until'")
    return Filters(since=since, until=until)


def corpus_filters(
    dates: Annotated[Filters, Depends(date_filters)],
    outlet: Annotated[str | None, Query(max_length=200)] = None,
) -> Filters:
    return replace(dates, outlet=outlet or None)


DateFilters = Annotated[Filters, Depends(date_filters)]
CorpusFilters = Annotated[Filters, Depends(corpus_filters)]

bearer = HTTPBearer(
    auto_error=False, description="Needed by the POST endpoints when the server has a token (`presslens serve`)."
)


def require_token(
    request: Request,
    settings: Settings,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Nothing without a token; else 401 unless the request says ``Authorization: Bearer
    <token>`` (the scheme in any case, as HTTP has it; the token compared in constant time)."""
    if settings.token is None:
        return
    given = request.headers.get("authorization", "") if credentials else ""
    scheme, _, value = given.strip().partition(" ")
    if scheme.lower() != AUTH_SCHEME.lower() or not hmac.compare_digest(
        value.strip(" ").encode(), settings.token.encode()
    ):
        raise ApiError(401, TOKEN_NEEDED)
