"""User profiles from PostgreSQL, cached per warm container.

Profiles rarely change and every request needs its caller, so a short-lived cache saves a round trip on almost
every call. Only hits are cached: a user who registers (or is linked to Cognito) is found on the next request.
"""

import time

from messaging.core.domain import User
from messaging.people import postgres

_TTL_SECONDS = 300.0
_MAX_ENTRIES = 4096
_cache: dict[tuple[str, str], tuple[float, User]] = {}


def user_by_cognito_user_id(cognito_user_id: str) -> User | None:
    return _cached_lookup("user_by_cognito_user_id", "cognito_user_id", cognito_user_id)


def user_by_handle(handle: str) -> User | None:
    return _cached_lookup("user_by_handle", "handle", handle)


def clear_cache() -> None:
    _cache.clear()


def _cached_lookup(query_name: str, parameter: str, value: str) -> User | None:
    key = (query_name, value)
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    row = postgres.fetch_one(query_name, {parameter: value})
    if row is None:
        return None
    user = User(uuid=row[0], display_name=row[1], handle=row[2])
    if len(_cache) >= _MAX_ENTRIES:  # bounded memory in a long-lived container
        _cache.clear()
    _cache[key] = (now + _TTL_SECONDS, user)
    return user
