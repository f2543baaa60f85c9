"""The linking rule's cases that a pool created by the project cannot hold (tests/e2e/test_operator_scripts.py runs
the others through bin/db/update_cognito_user_ids)."""

from tooling.cognito_links import Outcome, PoolUser, Profile, decide_links, mailbox

ALICE = Profile("u1", "alice", "alice@cruddur.example", None)


def test_the_domain_is_compared_without_case_and_the_local_part_exactly() -> None:
    assert mailbox("Alice@Cruddur.EXAMPLE") == "Alice@cruddur.example"
    assert mailbox("a@b@Cruddur.Example") == "a@b@cruddur.example"  # a quoted local part may hold an "@"
    assert mailbox("no-at-sign") == "no-at-sign"


def test_a_user_without_an_email_is_a_conflict() -> None:
    (link,) = decide_links([PoolUser("alice", "s1", None, False)], [ALICE])
    assert (link.outcome, link.profile, link.reason) == (Outcome.CONFLICT, None, "the Cognito user has no email")


def test_a_sub_already_linked_stays_with_its_profile_whatever_its_name_or_email() -> None:
    linked = Profile("u2", "bob", "bob@cruddur.example", "s2")
    users = [PoolUser("alice", "s2", "alice@cruddur.example", True)]  # renamed and re-addressed since
    (link,) = decide_links(users, [ALICE, linked])
    assert (link.outcome, link.profile) == (Outcome.ALREADY_LINKED, linked)
