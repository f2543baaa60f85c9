// Messages on their way: each keeps the Idempotency-Key it was first sent with, through the automatic retries
// and any retry by hand, so however often it is sent the API writes it once. A conversation's messages go out
// one at a time, in the order they were written, so one held back holds back those after it.
import { ApiError, newKey, rateLimited } from "./api.js";

const ATTEMPTS = 4;  // busy and network failures: tries before a message shows "Not sent"
const HOLD_MIN_MS = 500;  // a 429 saying "0" is not an invitation to ask again at once
// A longer Retry-After (from a broken proxy, say) is waited out this long only: the page never freezes on it.
const HOLD_MAX_MS = 30_000;
// Held back by the send limit this long after it was written (or retried by hand): "Not sent", with Retry.
export const GIVE_UP_MS = 60_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const backoff = (failures) => 500 * 2 ** failures;

// The person's send limit, one per account: both sending routes share it on the server, so a 429 for one
// message holds every send of theirs, in every conversation and the new-conversation dialog, until the time the
// server gave. `onChange(ms)`: sends are waiting on a hold that ends in `ms` (0: none are, or it is over).
export class SendLimit {
  #until = 0; #waiting = 0; #said = 0; #onChange;

  constructor(onChange = () => {}) {
    this.#onChange = onChange;
  }

  hold(ms) {
    const wait = Math.min(Math.max(ms ?? 0, HOLD_MIN_MS), HOLD_MAX_MS);
    const until = Date.now() + wait;
    if (until <= this.#until) return;
    this.#until = until;
    this.#changed();
  }

  // True once sending may go on; false if the hold lasts past `deadline`, or `stop()` says not to bother.
  async wait(deadline, stop) {
    if (this.#until <= Date.now()) return true;
    this.#waiting += 1;
    try {
      while (this.#until > Date.now()) {
        if (this.#until > deadline) return false;
        this.#changed();
        await sleep(this.#until - Date.now());
        if (stop()) return false;
      }
      return true;
    } finally {
      this.#waiting -= 1;
      this.#changed();
    }
  }

  // Told once per hold that something waits on, and once when nothing does any more.
  #changed() {
    const left = this.#until - Date.now();
    const said = this.#waiting > 0 && left > 0 ? this.#until : 0;
    if (said === this.#said) return;
    this.#said = said;
    this.#onChange(said ? left : 0);
  }
}

export class Outbox {
  #byGroup = new Map();  // group uuid → entries, oldest first
  #lanes = new Map();  // group uuid → the last send queued in that conversation

  constructor(limit = new SendLimit()) {
    this.limit = limit;
  }

  // `after`: the newest message of the conversation when this one was written (the server's clock), so that
  // only a later message of ours can be recognised as this one having arrived.
  add(groupUuid, text, after) {
    const entry = { key: newKey(), groupUuid, text, after, status: "sending", editable: false, settled: false };
    this.entries(groupUuid).push(entry);
    return entry;
  }

  // Runs `send()` once every send queued before it in that conversation has finished, whatever their outcome.
  queue(groupUuid, send) {
    const tail = (this.#lanes.get(groupUuid) ?? Promise.resolve()).then(send, send);
    this.#lanes.set(groupUuid, tail);
    tail.finally(() => { if (this.#lanes.get(groupUuid) === tail) this.#lanes.delete(groupUuid); });
    return tail;
  }

  entries(groupUuid) {
    if (!this.#byGroup.has(groupUuid)) this.#byGroup.set(groupUuid, []);
    return this.#byGroup.get(groupUuid);
  }

  find(groupUuid, key) {
    return this.entries(groupUuid).find((entry) => entry.key === key);
  }

  // Delivered (its answer came, or the conversation shows it): it is a message like any other from now on.
  settle(entry) {
    entry.settled = true;
    const list = this.entries(entry.groupUuid);
    list.splice(list.indexOf(entry), 1);
  }

  // A message of ours the server has and this page never got an answer for (the answer was lost, or the page
  // was elsewhere): the unsettled entry with its text, written after `entry.after`, is that message.
  claim(groupUuid, message) {
    const entry = this.entries(groupUuid).find((e) => e.text === message.message
      && (!e.after || e.after < message.created_at));
    if (entry) this.settle(entry);
    return entry ?? null;
  }
}

// Sends with `key` until it works, the error is not worth retrying, the attempts run out, the send limit holds
// it past `deadline`, or `stop()` says the message got there another way (or is no longer wanted). Busy and
// network failures wait longer each time, and at least as long as the server's Retry-After; a 429 holds every
// send of the person's (`limit`) for as long as it says, and does not use up an attempt.
export async function deliver(send, key, { limit, deadline = Date.now() + GIVE_UP_MS, onRetry = () => {},
  stop = () => false } = {}) {
  let failures = 0;
  let last = null;
  for (;;) {
    const free = await limit.wait(deadline, stop);
    if (stop()) throw last ?? new Error("no longer wanted");  // it got there another way while it waited
    if (!free) throw last?.limited ? last : rateLimited();
    try {
      return await send(key);
    } catch (error) {
      if (!(error instanceof ApiError && error.retryable) || stop()) throw error;
      last = error;
      if (error.limited) {
        limit.hold(error.retryAfterMs ?? backoff(1));
        onRetry(error);
        continue;
      }
      failures += 1;
      if (failures === ATTEMPTS) throw error;
      onRetry(error);
      await sleep(Math.max(backoff(failures), Math.min(error.retryAfterMs ?? 0, HOLD_MAX_MS)));
      if (stop()) throw error;
    }
  }
}

