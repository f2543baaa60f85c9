"""Which Cognito user may be linked to which profile: the rule of bin/db/update_cognito_user_ids, without I/O.

A pool user is linked to a profile only by what an outsider cannot choose: an email address Cognito has verified
(the user proved they read that mailbox) equal to the profile's. The username is the signer-up's free choice, so it
decides nothing. Existing links are never changed: a run only fills in profiles that have none.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class PoolUser:
    username: str
    sub: str
    email: str | None
    email_verified: bool


@dataclass(frozen=True)
class Profile:
    uuid: str
    handle: str
    email: str
    cognito_user_id: str | None


class Outcome(StrEnum):
    LINKED = "linked"
    ALREADY_LINKED = "already linked"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Link:
    """What a run decided (and did) for one pool user."""

    user: PoolUser
    outcome: Outcome
    profile: Profile | None = None  # the profile linked, or already linked
    reason: str = ""  # why a conflict is not linked

    def conflict(self, reason: str) -> "Link":
        return Link(self.user, Outcome.CONFLICT, None, reason)


def mailbox(email: str) -> str:
    """An address as the rule compares it: the domain without case, the local part exactly.

    Domains are case-insensitive (RFC 5321 section 2.4); the local part may not be, so the spelling Cognito
    verified is the one that must match: a profile that differs only there is reported, never linked.
    """
    local, at, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}" if at else email


def decide_links(users: Iterable[PoolUser], profiles: Sequence[Profile]) -> list[Link]:
    """One Link per pool user: ALREADY_LINKED, LINKED (to be written, to a profile that has no link) or CONFLICT."""
    users = list(users)
    by_sub = {p.cognito_user_id: p for p in profiles if p.cognito_user_id}
    by_mailbox: dict[str, list[Profile]] = defaultdict(list)
    by_lowered: dict[str, list[Profile]] = defaultdict(list)
    for profile in profiles:
        by_mailbox[mailbox(profile.email)].append(profile)
        by_lowered[profile.email.lower()].append(profile)
    # Only verified addresses count: an unverified copy of someone's address must not block their link.
    verified = Counter(mailbox(u.email) for u in users if u.email and u.email_verified)
    return [_decide(user, by_sub, by_mailbox, by_lowered, verified) for user in users]


def _decide(  # noqa: PLR0911 - one answer per case of the rule
    user: PoolUser,
    by_sub: dict[str, Profile],
    by_mailbox: dict[str, list[Profile]],
    by_lowered: dict[str, list[Profile]],
    verified: Counter[str],
) -> Link:
    if (linked := by_sub.get(user.sub)) is not None:
        return Link(user, Outcome.ALREADY_LINKED, linked)
    undecided = Link(user, Outcome.CONFLICT)
    if not user.email:
        return undecided.conflict("the Cognito user has no email")
    if not user.email_verified:
        return undecided.conflict("the email is not verified in Cognito")
    address = mailbox(user.email)
    if verified[address] > 1:
        return undecided.conflict(f"{verified[address]} Cognito users have this verified email")
    matches = by_mailbox.get(address, [])
    if not matches:
        if near := by_lowered.get(user.email.lower()):
            return undecided.conflict(
                f"no profile has this email; {_handles(near)} differs only in the case of its local part"
            )
        return undecided.conflict("no profile has this email")
    if len(matches) > 1:
        return undecided.conflict(f"{len(matches)} profiles have this email ({_handles(matches)})")
    (profile,) = matches
    if profile.cognito_user_id is not None:
        return undecided.conflict(f"profile @{profile.handle} is already linked to another Cognito user")
    return Link(user, Outcome.LINKED, profile)


def _handles(profiles: Iterable[Profile]) -> str:
    return ", ".join(sorted(f"@{p.handle}" for p in profiles))
