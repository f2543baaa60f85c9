"""Reporting a message: plain values in, the stored report out (the HTTP edge is ``moderation/operations.py``)."""

from aws_lambda_powertools.metrics import MetricUnit

from messaging.conversations import groups, messages
from messaging.core.domain import Message, User, utc_timestamp
from messaging.core.errors import AlreadyReported, MessageNotFound, NotAMember
from messaging.core.observability import metrics
from messaging.moderation import reports
from messaging.moderation.reports import Report, ReportStatus, Snapshot
from messaging.people import participants


def report_message(caller_id: str, group_uuid: str, message_uuid: str, reason: str, note: str | None) -> Report:
    """Files the caller's report of a message of a conversation they are in, once per message.

    One read of the message proves membership too (a message names both members); only a missing message costs
    the caller's group item, so that a non-member learns nothing more than for a group that does not exist. A
    deleted message may still be reported: its snapshot then has no text, but names the sender.
    """
    caller = participants.caller(caller_id)
    message = _members_message(caller, group_uuid, message_uuid)
    report = Report(
        report_id=reports.report_id_for(group_uuid, message_uuid, caller.uuid),
        status=ReportStatus.OPEN,
        reported_at=utc_timestamp(),
        reason=reason,
        note=note,
        reporter_uuid=caller.uuid,
        reporter_handle=caller.handle,
        group_uuid=group_uuid,
        message_uuid=message_uuid,
        snapshot=Snapshot.of(message),
    )
    if not reports.put_report(report):
        raise AlreadyReported("You have already reported this message.")
    # The alarm on this metric (template.yaml ReportsAlarm) tells the operators that reports are coming in.
    metrics.add_metric(name="MessagesReported", unit=MetricUnit.Count, value=1)
    return report


def _members_message(caller: User, group_uuid: str, message_uuid: str) -> Message:
    message = messages.message_by_uuid(group_uuid, message_uuid)
    if message is None:
        if groups.other_member(caller.uuid, group_uuid) is None:
            raise NotAMember("You are not a member of this conversation.")
        raise MessageNotFound("There is no such message in this conversation.")
    if caller.uuid not in message.member_uuids:
        raise NotAMember("You are not a member of this conversation.")
    return message
