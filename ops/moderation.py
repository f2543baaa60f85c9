"""bin/moderation/*: the operators' side of reports (issue 24): list the open ones, resolve one.

Both act through the layer's own modules, as a Lambda of the target would (the reports table, the message's
deletion, the user's connections), so a resolution is exactly what the service itself would do. prod reads, beside
ops/target.py's variables, ``CONNECTIONS_TABLE`` (default: the template's) and ``WEBSOCKET_MANAGEMENT_URL`` (the
WebSocket stage's management endpoint, for --disable-user).
"""

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from uuid import UUID

from ops.cli import Command, dispatch
from ops.moderation_actions import close_connections, delete_message, disable_user
from ops.target import LOCAL, ScriptError, Target
from tooling.stack_state import local_stack_state
from tooling.template import Template

if TYPE_CHECKING:
    from messaging.moderation.reports import Report, ReportStatus

MAX_PAGE = 100


def use_layer(target: Target) -> None:
    """Gives the layer the settings a Lambda of this target would have, the moderation store's among them."""
    target.export_for_layer()
    variables = {"REPORTS_TABLE": f"{target.messages_table}-reports"}
    if target.name == LOCAL:
        state = local_stack_state()
        variables["CONNECTIONS_TABLE"] = state["connections_table"]
        if state.get("websocket_management_url"):
            variables["WEBSOCKET_MANAGEMENT_URL"] = state["websocket_management_url"]
    else:
        variables["CONNECTIONS_TABLE"] = os.environ.get("CONNECTIONS_TABLE") or Template().table_name(
            "ConnectionsTable"
        )
    # The layer's Powertools logger writes JSON lines to stdout: only what goes wrong belongs in a script's output.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.update(variables)
    from messaging.core.config import settings  # noqa: PLC0415 - after the environment is set

    settings.cache_clear()


@contextmanager
def store_failures() -> Iterator[None]:
    """The layer's store errors as one-line script errors (they are not botocore's, which ops.cli knows)."""
    from messaging.core.errors import MessagingError  # noqa: PLC0415 - the layer reads its settings on import
    from messaging.moderation.reports import ReportStoreRefused  # noqa: PLC0415

    try:
        yield
    except ReportStoreRefused as error:
        raise ScriptError(f"the reports table refused: {error} (does it exist? bin/ddb/schema-load)") from None
    except MessagingError as error:
        raise ScriptError(error.message) from None


def reports(target: Target, args: argparse.Namespace) -> None:
    use_layer(target)
    from messaging.moderation.reports import ReportStatus, reports_with_status  # noqa: PLC0415

    with store_failures():
        page = reports_with_status(ReportStatus.OPEN, args.limit, args.cursor)
    for report in page.items:
        print(json.dumps(_listed(report), ensure_ascii=False))
    print(f"{len(page.items)} open report(s), newest first", file=sys.stderr)
    if page.next_cursor is not None:
        print(f"next page: bin/moderation/reports {_prod(target)}--cursor {page.next_cursor}", file=sys.stderr)
    else:
        print("no more open reports", file=sys.stderr)


def _prod(target: Target) -> str:
    return "" if target.name == LOCAL else "prod "


def _listed(report: "Report") -> dict[str, object]:
    snapshot = report.snapshot
    return {
        "report_id": report.report_id,
        "reported_at": report.reported_at,
        "reason": report.reason,
        "note": report.note,
        "reporter": report.reporter_handle,
        "sender": snapshot.sender_handle,
        "message": snapshot.text,  # null: the message was already deleted when it was reported
        "message_created_at": snapshot.created_at,
        "message_group_uuid": report.group_uuid,
        "message_uuid": report.message_uuid,
    }


def resolve(target: Target, args: argparse.Namespace) -> None:
    use_layer(target)
    from messaging.core.domain import utc_timestamp  # noqa: PLC0415
    from messaging.moderation import reports as store  # noqa: PLC0415
    from messaging.moderation.reports import ReportStatus  # noqa: PLC0415

    with store_failures():
        report = store.report_by_id(args.report_id)
    if report is None:
        raise ScriptError(f"no report {args.report_id} (bin/moderation/reports lists the open ones)")
    if report.status is not ReportStatus.OPEN:
        print(f"report {report.report_id} is already resolved: {report.status.value} at {report.resolved_at}")
        return
    status, done = _act(target, report, args.action)
    with store_failures():
        resolved = store.resolve(report.report_id, status, utc_timestamp(), args.note)
    if resolved is None:  # another operator resolved it between our read and our write
        print(f"{done}; report {report.report_id} was resolved meanwhile by someone else")
        return
    print(f"{done}; report {report.report_id} is now {status.value}")


def _act(target: Target, report: "Report", action: str) -> tuple["ReportStatus", str]:
    """Does what the operator chose; each step is safe to do again (a rerun after a failure completes it)."""
    from messaging.moderation.reports import ReportStatus  # noqa: PLC0415

    sender = f"@{report.snapshot.sender_handle}"
    if action == "dismiss":
        return ReportStatus.DISMISSED, "dismissed"
    if action == "delete-message":
        deleted_now = delete_message(report.group_uuid, report.message_uuid, report.snapshot.sender_uuid)
        what = "deleted the message" if deleted_now else "the message was already deleted"
        return ReportStatus.MESSAGE_DELETED, f"{what} (sent by {sender} at {report.snapshot.created_at})"
    username = disable_user(target, report.snapshot.sender_uuid, sender)
    closed = close_connections(report.snapshot.sender_uuid)
    return ReportStatus.USER_DISABLED, f"disabled {sender} (Cognito user {username}), closed {closed} connection(s)"


def _uuid(value: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a report id (a UUID): {value!r}") from None


def _page_size(value: str) -> int:
    if not (value.isdigit() and 1 <= int(value) <= MAX_PAGE):
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_PAGE}")
    return int(value)


def _reports_options(cli: argparse.ArgumentParser) -> None:
    cli.add_argument("--limit", type=_page_size, default=20, help=f"reports per page, 1 to {MAX_PAGE} (default 20)")
    cli.add_argument("--cursor", help="the cursor the previous page printed, for the next page")


def _resolve_options(cli: argparse.ArgumentParser) -> None:
    cli.add_argument("report_id", type=_uuid, help="the report's id, as bin/moderation/reports prints it")
    action = cli.add_mutually_exclusive_group(required=True)
    for flag, text in (
        ("--dismiss", "close the report, nothing else done"),
        ("--delete-message", "delete the message as its sender could (a tombstone; the report keeps its snapshot)"),
        ("--disable-user", "disable the sender in Cognito and close their open WebSocket connections"),
    ):
        action.add_argument(flag, dest="action", action="store_const", const=flag.removeprefix("--"), help=text)
    cli.add_argument("--note", help="what the moderator wants kept with the resolution")


COMMANDS = {
    "reports": Command(
        reports, "List the open reports, newest first, one JSON object a line, a page at a time.", _reports_options
    ),
    "resolve": Command(
        resolve,
        "Resolve an open report: dismiss it, delete the message, or disable its sender. Each marks the report "
        "resolved with what was done; a resolved report is said so, and nothing is done again (exit 0).",
        _resolve_options,
    ),
}

if __name__ == "__main__":
    sys.exit(dispatch("bin/moderation", COMMANDS))
