"""Who is calling, and who they are writing to: profiles from the user directory, or a domain error."""

from messaging.core.domain import User
from messaging.core.errors import UserNotFound, UserNotRegistered
from messaging.people import profiles


def caller(cognito_user_id: str) -> User:
    user = profiles.user_by_cognito_user_id(cognito_user_id)
    if user is None:
        raise UserNotRegistered("Your sign-in is valid but no Cruddur profile is linked to it.")
    return user


def by_handle(handle: str) -> User:
    user = profiles.user_by_handle(handle)
    if user is None:
        raise UserNotFound(f"No user has the handle {handle!r}.")
    return user
