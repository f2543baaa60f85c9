"""Push: new messages go to every open connection of both members; a moved read marker to its member's others,
and as a read receipt to the other member's."""

from functools import partial

from messaging.realtime.frames import frames_of, read_frame_of, receipt_frame_of
from messaging.realtime.push import push_messages, push_read_markers, push_read_receipts
from messaging.realtime.push_handler import push_handler

lambda_handler = push_handler(
    partial(push_messages, frames_of=frames_of),
    partial(push_read_markers, frame_of=read_frame_of),
    partial(push_read_receipts, frame_of=receipt_frame_of),
)
