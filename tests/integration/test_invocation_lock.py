"""Why the local stack runs one function invocation at a time (``LocalFunctions.invocation_lock``).

In AWS each function has containers of its own. Here every function shares one process, so one copy of the
layer: one Powertools logger, whose keys (function name, request id) each invocation sets on entry, one metrics
set, one PostgreSQL connection, one ``AWS_LAMBDA_FUNCTION_NAME``. Two invocations at once would write each
other's names into their log lines; the lock is what keeps them apart. The test holds the push function inside
a post (a socket standing for any slow step), invokes another function meanwhile, and reads whose name the push
function's own log line carries once it goes on.
"""

import io
import json
import logging
import threading

from local.stack import PUSH_FUNCTION, EmulatedStack
from local.websocket.events import message_event
from messaging.core.observability import logger
from tests.api_client import ApiClient
from tests.integration import test_push
from tests.integration.conftest import Conversation
from tests.integration.test_push import Opener, connection_of, post

open_connection = test_push.open_connection  # the fixture, shared

OTHER_FUNCTION = "WebSocketDefaultFunction"
WAIT_SECONDS = 30.0  # a ceiling on the test's own waits; nothing is timed


class HeldSocket:
    """A client socket whose first send waits until the test releases it."""

    def __init__(self) -> None:
        self.entered, self.released = threading.Event(), threading.Event()
        self.raw: list[bytes] = []

    def send(self, data: bytes) -> None:
        if not self.entered.is_set():
            self.entered.set()
            assert self.released.wait(WAIT_SECONDS)
        self.raw.append(data)

    def close(self) -> None:
        pass


def test_a_function_invoked_while_another_runs_waits_and_each_logs_under_its_own_name(
    api: ApiClient, stack: EmulatedStack, conversation: Conversation, *, open_connection: Opener
) -> None:
    stack.stream.drain()
    held = HeldSocket()
    open_connection(conversation.other, held)
    post(api, conversation.starter, conversation.group_uuid, "held in the post")
    lines = io.StringIO()
    capture = logging.StreamHandler(lines)
    capture.setFormatter(logger.registered_formatter)  # the Powertools JSON, keys included
    logger.addHandler(capture)
    try:
        pushing = threading.Thread(target=stack.stream.poller(PUSH_FUNCTION).drain)
        pushing.start()
        assert held.entered.wait(WAIT_SECONDS)
        answers: list[dict] = []
        ping = message_event(connection_of(conversation.starter), "$default", json.dumps({"action": "ping"}))
        other = threading.Thread(target=lambda: answers.append(stack.functions.invoke(OTHER_FUNCTION, ping)))
        other.start()
        other.join(timeout=1.0)  # long enough for a ping, were it not waiting for the push function
        ran_meanwhile = not other.is_alive()
        held.released.set()
        pushing.join(WAIT_SECONDS)
        other.join(WAIT_SECONDS)
    finally:
        logger.removeHandler(capture)

    records = [json.loads(line) for line in lines.getvalue().splitlines()]
    pushed = [record for record in records if record["message"] == "batch pushed"]
    assert [record["function_name"] for record in pushed] == [PUSH_FUNCTION]  # not the other's: see the module
    served = [record for record in records if record["message"] == "websocket route served"]
    assert [record["function_name"] for record in served] == [OTHER_FUNCTION]
    assert not ran_meanwhile, "the other function ran while the push function was inside its invocation"
    assert [json.loads(answer["body"]) for answer in answers] == [{"type": "pong"}]
    assert len(held.raw) == 1
