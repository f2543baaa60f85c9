// The WebSocket to the real-time API: one per signed-in person, kept open for as long as they are signed in, but
// never past its access token (the server closes a connection whose token has expired): a new connection opens
// with the fresh token before that, and the old one is let go only once the new one is up, so no push falls
// between them. It only carries frames; what they mean for the page is app.js's business. Push is best effort,
// so the page is told when the socket is up (catch up with the HTTP API, stop polling) and when it is down (poll
// meanwhile).

import { tokenTimings } from "./config.js";

const PING_MS = 5 * 60_000;  // API Gateway drops a connection after 10 idle minutes
const PONG_WAIT_MS = 15_000;  // no pong by then: the connection is dead even if the browser has not noticed
const CONNECT_WAIT_MS = 15_000;  // an upgrade that hangs counts as failed
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
const STABLE_MS = 30_000;  // up this long: the next drop starts the backoff from the beginning again
const CONNECTION_MAX_MS = 2 * 60 * 60_000;  // API Gateway ends every connection after 2 hours, whatever its token
// A new connection config.json's socketRenewMarginSeconds (45 s) before the token expires (or the 2 hours are up):
// after the session has refreshed the token (tokenRefreshMarginSeconds, 60 s, before), so the new one carries the
// fresh token, and well before the old one would be closed.
const renewMarginMs = () => tokenTimings.socketRenewMarginSeconds * 1000;
const RENEW_MIN_MS = 5_000;  // however soon the token expires, or a replacement failed: not more often than this
// The replaced connection stays open this long after the new one is up: a push the server had already begun
// sending to it still arrives (each message shows once, whichever connection brings it).
const DRAIN_MS = 5_000;
// A server that closes good connections (a person's oldest, when they open too many) is not asked again at once
// every time: each such close adds a step to the backoff until a connection has stayed up this long.
const CLOSES_FORGIVEN_MS = 2 * PING_MS;

// Exponential backoff with jitter: every tab that lost the server at the same moment comes back at a different
// one. Never less than half the step, so a server that refuses at once is not asked again at once.
export function reconnectDelay(attempt, random = Math.random) {
  const step = Math.min(BACKOFF_FIRST_MS * 2 ** attempt, BACKOFF_MAX_MS);
  return step / 2 + random() * (step / 2);
}

// 128 random bits in hex: getRandomValues, not randomUUID, which only pages served over https or from localhost have.
function pageSession() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// The token's own expiry (its payload's `exp`, base64url JSON; the server's clock), in ms; null if unreadable.
export function tokenExpiry(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const { exp } = JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "=")));
    return Number.isFinite(exp) ? exp * 1000 : null;
  } catch {
    return null;
  }
}

// `token()` is asked at every attempt, so a reconnect never offers the token the last one was refused with: the
// session refreshes it before it expires, and any API call refused with 401 refreshes it too (a browser is not
// told why an upgrade failed, so the socket cannot tell a refused token from a network failure itself). It gives
// `{accessToken, expiresAt}` (the expiry on this device's clock, as the session counts it) or a bare token.
export class LiveConnection {
  #url; #token; #onFrame; #onState; #onError;
  #socket = null;  // the connection the page listens to and pings
  #expiresAt = null;  // when its token expires
  #endsAt = null;  // when the server will end it: its token's expiry, or 2 hours after it opened
  #next = null;  // its replacement, while that is being opened
  #nextExpiresAt = null;
  #draining = new Set();  // replaced connections, open a few seconds more
  #state = "connecting"; #attempt = 0; #closes = 0; #renewAttempt = 0; #stopped = true;
  #retryTimer = null; #pingTimer = null; #pongTimer = null; #stableTimer = null; #forgiveTimer = null;
  #renewTimer = null;
  #session = pageSession();  // this page's connections, as the server's `?session=` knows them
  #online = () => { if (this.#retryTimer) this.#reconnectNow(); };  // only while waiting out a backoff

  constructor({ url, token, onFrame, onState = () => {}, onError = () => {} }) {
    this.#url = url;
    this.#token = token;
    this.#onFrame = onFrame;
    this.#onState = onState;
    this.#onError = onError;
  }

  get state() { return this.#state; }

  // A typing frame (issue 25), on the open connection only: with none it is lost, as news of a few seconds may be.
  // True if it went.
  sendTyping(groupUuid) {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify({ action: "typing", message_group_uuid: groupUuid }));
    return true;
  }

  start() {
    this.#stopped = false;
    addEventListener("online", this.#online);  // the network is back: no need to wait out the backoff
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    removeEventListener("online", this.#online);
    clearTimeout(this.#retryTimer);
    this.#drop(this.#socket, { reconnect: false });
    for (const socket of [...this.#draining]) this.#end(socket);
  }

  async #fresh() {
    const given = await this.#token();
    return typeof given === "string" ? { accessToken: given, expiresAt: tokenExpiry(given) } : given;
  }

  async #connect() {
    this.#retryTimer = null;
    let fresh;
    try {
      fresh = await this.#fresh();
    } catch (error) {
      if (this.#stopped) return;
      this.#onError(error);  // signed out: the page says so and stops this
      this.#down();
      return;
    }
    if (this.#stopped) return;
    const socket = this.#open(fresh.accessToken);
    if (!socket) {
      this.#down();  // a malformed URL in config.json: polling carries on
      return;
    }
    this.#socket = socket;
    this.#expiresAt = fresh.expiresAt ?? null;
  }

  // A WebSocket whose events all come back here with it, so each handler knows which connection spoke.
  #open(accessToken) {
    let socket;
    try {
      const url = new URL(this.#url);
      url.searchParams.set("token", accessToken);
      // The same name on every connection of this page: the server's cap on a person's connections then takes
      // a renewal's old connection for the one it replaces, not another page's.
      url.searchParams.set("session", this.#session);
      socket = new WebSocket(url);
    } catch {
      return null;
    }
    const connectTimer = setTimeout(() => this.#closed(socket), CONNECT_WAIT_MS);  // an upgrade that hangs failed
    socket.addEventListener("open", () => {
      clearTimeout(connectTimer);
      this.#opened(socket);
    });
    socket.addEventListener("message", (event) => this.#received(socket, event.data));
    socket.addEventListener("close", (event) => {
      clearTimeout(connectTimer);
      this.#closed(socket, event);
    });
    return socket;
  }

  #opened(socket) {
    if (socket === this.#next) {
      this.#swap(socket);
      return;
    }
    if (socket !== this.#socket) {
      this.#end(socket);  // given up on before it opened
      return;
    }
    this.#stableTimer = setTimeout(() => { this.#attempt = 0; }, STABLE_MS);
    this.#forgiveTimer = setTimeout(() => { this.#closes = 0; }, CLOSES_FORGIVEN_MS);
    this.#pingTimer = setInterval(() => this.#ping(socket), PING_MS);
    this.#endsAt = Math.min(this.#expiresAt ?? Infinity, Date.now() + CONNECTION_MAX_MS);
    this.#renewLater();
    this.#setState("up");
  }

  // Make before break: the new connection is up, so it becomes the one, and the old one is let go a little later.
  // The page stays "up" throughout: nothing was missed, so there is nothing to read again.
  #swap(socket) {
    const old = this.#socket;
    this.#next = null;
    this.#socket = socket;
    this.#expiresAt = this.#nextExpiresAt;
    this.#endsAt = Math.min(this.#expiresAt ?? Infinity, Date.now() + CONNECTION_MAX_MS);
    this.#renewAttempt = 0;
    clearTimeout(this.#pongTimer);
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => this.#ping(socket), PING_MS);  // still one ping per PING_MS
    this.#renewLater();
    this.#draining.add(old);
    setTimeout(() => this.#end(old), DRAIN_MS);
  }

  #renewLater(delay = null) {
    clearTimeout(this.#renewTimer);
    this.#renewTimer = null;
    if (this.#stopped) return;
    const due = delay ?? this.#endsAt - renewMarginMs() - Date.now();
    this.#renewTimer = setTimeout(() => this.#renew(), Math.max(due, RENEW_MIN_MS));
  }

  async #renew() {
    this.#renewTimer = null;
    const current = this.#socket;
    if (!current || current.readyState !== WebSocket.OPEN || this.#next) return;
    let fresh;
    try {
      fresh = await this.#fresh();
    } catch (error) {
      if (!this.#stopped) this.#onError(error);  // signed out: the page says so and stops this
      return;
    }
    if (this.#stopped || this.#socket !== current) return;  // dropped meanwhile: the reconnect has its own token
    this.#next = this.#open(fresh.accessToken);
    this.#nextExpiresAt = fresh.expiresAt ?? null;
  }

  // One ping per PING_MS, whatever the server answers: an error frame (it is rate limiting frames) is no reason to
  // ask again sooner.
  #ping(socket) {
    if (socket !== this.#socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ action: "ping" }));
    clearTimeout(this.#pongTimer);
    this.#pongTimer = setTimeout(() => this.#drop(socket), PONG_WAIT_MS);
  }

  #received(socket, data) {
    if (socket !== this.#socket && !this.#draining.has(socket)) return;
    // Any frame shows the connection is alive, an error frame in answer to a ping as much as a pong.
    if (socket === this.#socket) clearTimeout(this.#pongTimer);
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;  // not ours to understand; the next frame may be
    }
    if (frame?.type === "pong") return;
    if (frame && typeof frame === "object") this.#onFrame(frame);
  }

  // A connection ended, or did not open in time. The current one: reconnect. Its replacement: try again a little
  // later, while the current one lasts. A replaced one: nothing to do.
  #closed(socket, event = null) {
    if (socket === this.#next) {
      this.#next = null;
      this.#end(socket);
      this.#renewLater(reconnectDelay(this.#renewAttempt++));
      return;
    }
    if (socket !== this.#socket) {
      this.#end(socket);
      return;
    }
    // Closed by the server as it closes a good connection, and not for its token: the backoff grows.
    if (this.#state === "up" && event?.code === 1000 && !this.#expiring()) this.#closes += 1;
    this.#drop(socket);
  }

  #expiring() {
    return Date.now() > this.#endsAt - renewMarginMs();
  }

  // The one way the current connection ends, whoever ended it: its timers stop, and a late event of it is ignored
  // from then on (a dead connection may take minutes to report its close; we do not wait for it).
  #drop(socket, { reconnect = true } = {}) {
    if (!socket || socket !== this.#socket) return;
    this.#socket = null;
    const timers = [this.#pongTimer, this.#stableTimer, this.#forgiveTimer, this.#renewTimer];
    for (const timer of timers) clearTimeout(timer);
    clearInterval(this.#pingTimer);
    if (this.#next) this.#end(this.#next);  // a replacement on its way goes too: the reconnect starts afresh
    this.#next = null;
    this.#end(socket);
    if (!reconnect || this.#stopped) return;
    this.#down();
  }

  #end(socket) {
    this.#draining.delete(socket);
    if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close(1000);
  }

  #down() {
    if (this.#stopped || this.#retryTimer) return;
    this.#setState("down");
    this.#retryTimer = setTimeout(() => this.#connect(), reconnectDelay(this.#attempt + this.#closes));
    this.#attempt += 1;
  }

  #reconnectNow() {
    clearTimeout(this.#retryTimer);
    this.#attempt = 0;
    this.#connect();
  }

  #setState(state) {
    if (this.#state === state) return;
    this.#state = state;
    this.#onState(state);
  }
}
