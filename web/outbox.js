// Messages on their way: each keeps the Idempotency-Key it was first sent with, through the automatic retries
// and any retry by hand, so however often it is sent the API writes it once.
import { ApiError, newKey } from "./api.js";

const ATTEMPTS = 4;

export class Outbox {
  #byGroup = new Map();  // group uuid → entries, oldest first

  // `after`: the newest message of the conversation when this one was written (the server's clock), so that
  // only a later message of ours can be recognised as this one having arrived.
  add(groupUuid, text, after) {
    const entry = { key: newKey(), groupUuid, text, after, status: "sending", editable: false, settled: false };
    this.entries(groupUuid).push(entry);
    return entry;
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

// Sends with `key` until it works, the error is not worth retrying, the attempts run out, or `stop()` says the
// message got there another way. Busy and network failures wait longer each time.
export async function deliver(send, key, { onRetry = () => {}, stop = () => false } = {}) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send(key);
    } catch (error) {
      if (!(error instanceof ApiError && error.retryable) || attempt === ATTEMPTS || stop()) throw error;
      onRetry(error);
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      if (stop()) throw error;
    }
  }
}
