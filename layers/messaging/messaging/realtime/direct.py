"""The direct push: C and D post a message they have just stored to both members' open connections before they
answer, so that it reaches the other screen in tens of milliseconds rather than the stream's hundreds.

It is the fast path, not the guarantee: the stream's push (``push_handler.py``) still follows every message and
sends it again to every connection, so whatever the direct push misses (a slow or failing endpoint, a
connection opened meanwhile) arrives a few hundred milliseconds later; clients de-duplicate by uuid and order by
time. It is the stream's ``deliver`` with the same ``messages`` frame (``frames.py``), under three constraints:

- **A bound on the answer.** The push runs in a thread of its own and the answer waits for it at most the budget
  (``DirectPushBudgetMs``), whatever the connections table or the management endpoint do. Posts stop starting at
  the budget (the ``Deadline``), and each post's client gives up within the budget for its connect and again for
  its read, never retried, so a post still in flight when the answer goes ends soon after it (in Lambda it may be
  frozen with the container and end at the next invocation; its frame then comes late or not at all, and the
  stream's push has sent it anyway).
- **Never the answer's failure.** Whatever goes wrong is logged and counted (``DirectPushMissed``); the answer
  is the one C or D would give without it.
- **Only what C and D may do.** One Query per member of the connections table and PostToConnection: an expired
  connection is skipped (the stream's push closes it) and a gone one is left for the stream's push to forget.

The first message of a container also creates the management client (tens of milliseconds), usually past the
budget: that message goes by the stream, and the next ones directly.
"""

import threading
import time
from collections.abc import Callable
from functools import partial

from aws_lambda_powertools.metrics import MetricUnit

from messaging.core.config import settings
from messaging.core.domain import Message
from messaging.core.observability import logger, metrics


def push_sent(message: Message) -> None:
    """Posts a message just stored to every connection of its members, within the budget; never raises."""
    budget = settings().direct_push_budget_seconds
    if budget <= 0:
        return  # turned off: the stream's push alone delivers
    try:
        outcome = run_within(lambda: _push(message, budget), budget)
        if outcome is None:
            logger.warning("direct push past its budget", extra={"message_uuid": message.uuid, "budget_s": budget})
            _missed()
            return
        posts, missed = outcome
        metrics.add_metric(name="DirectPushPosts", unit=MetricUnit.Count, value=posts)
        if missed:
            _missed()
    except Exception:
        # A thread that would not start, a metric refused: the message is stored, and the answer says so.
        logger.exception("direct push not made")


def run_within[T](work: Callable[[], T], seconds: float) -> T | None:
    """``work``'s result if it ends within ``seconds``, else None (it goes on in the background); never raises:
    a failure is logged and is None too."""
    result: list[T] = []

    def run() -> None:
        try:
            result.append(work())
        except Exception:
            logger.exception("direct push failed")

    # A daemon thread, not a pool: nothing waits for one the budget gave up on, not even the interpreter's exit.
    thread = threading.Thread(target=run, name="direct-push", daemon=True)
    thread.start()
    thread.join(seconds)
    return result[0] if result else None


def _push(message: Message, budget: float) -> tuple[int, bool]:
    """The posts made, and whether some connection was missed (late, refused, throttled, not found)."""
    # Imported here, in the push's own thread: C's cold start does not pay for the push's modules, and the first
    # message's import counts against the budget, not the answer.
    from messaging.realtime import frames, management, push  # noqa: PLC0415

    deadline = push.Deadline(time.monotonic() + budget)
    pushes = [
        push.MemberPush(member, lambda: frames.frames_of([message]), [message.uuid])
        for member in dict.fromkeys(message.member_uuids)
    ]
    report = push.deliver(pushes, deadline, partial(management.post, within=budget), tidy=False)
    missed = bool(report.retry or report.refused or report.late)
    if missed:
        logger.info(
            "direct push missed some connections",
            extra={"connections": report.connections, "late": report.late, "refused": report.refused},
        )
    return report.posts, missed


def _missed() -> None:
    metrics.add_metric(name="DirectPushMissed", unit=MetricUnit.Count, value=1)
