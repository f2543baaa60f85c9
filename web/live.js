// The WebSocket to the real-time API: one per signed-in person, kept open for as long as they are signed in.
// It only carries frames; what they mean for the page is app.js's business. Push is best effort, so the page is
// told when the socket is up (catch up with the HTTP API, stop polling) and when it is down (poll meanwhile).

const PING_MS = 5 * 60_000;  // API Gateway drops a connection after 10 idle minutes
const PONG_WAIT_MS = 15_000;  // no pong by then: the connection is dead even if the browser has not noticed
const CONNECT_WAIT_MS = 15_000;  // an upgrade that hangs counts as failed
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
const STABLE_MS = 30_000;  // up this long: the next drop starts the backoff from the beginning again

// Exponential backoff with jitter: every tab that lost the server at the same moment comes back at a different
// one. Never less than half the step, so a server that refuses at once is not asked again at once.
export function reconnectDelay(attempt, random = Math.random) {
  const step = Math.min(BACKOFF_FIRST_MS * 2 ** attempt, BACKOFF_MAX_MS);
  return step / 2 + random() * (step / 2);
}

// `token()` is asked at every attempt, so a reconnect never offers the token the last one was refused with: the
// session refreshes it before it expires, and any API call refused with 401 refreshes it too (a browser is not
// told why an upgrade failed, so the socket cannot tell a refused token from a network failure itself).
export class LiveConnection {
  #url; #token; #onFrame; #onState; #onError;
  #socket = null; #state = "connecting"; #attempt = 0; #stopped = true;
  #retryTimer = null; #connectTimer = null; #pingTimer = null; #pongTimer = null; #stableTimer = null;
  #online = () => { if (this.#retryTimer) this.#reconnectNow(); };  // only while waiting out a backoff

  constructor({ url, token, onFrame, onState = () => {}, onError = () => {} }) {
    this.#url = url;
    this.#token = token;
    this.#onFrame = onFrame;
    this.#onState = onState;
    this.#onError = onError;
  }

  get state() { return this.#state; }

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
  }

  async #connect() {
    this.#retryTimer = null;
    let token;
    try {
      token = await this.#token();
    } catch (error) {
      if (this.#stopped) return;
      this.#onError(error);  // signed out: the page says so and stops this
      this.#down();
      return;
    }
    if (this.#stopped) return;
    const url = new URL(this.#url);
    url.searchParams.set("token", token);
    let socket;
    try {
      socket = new WebSocket(url);
    } catch {
      this.#down();  // a malformed URL in config.json: polling carries on
      return;
    }
    this.#socket = socket;
    this.#connectTimer = setTimeout(() => this.#drop(socket), CONNECT_WAIT_MS);
    socket.addEventListener("open", () => this.#opened(socket));
    socket.addEventListener("message", (event) => this.#received(socket, event.data));
    socket.addEventListener("close", () => this.#drop(socket));
  }

  #opened(socket) {
    if (socket !== this.#socket) return;
    clearTimeout(this.#connectTimer);
    this.#stableTimer = setTimeout(() => { this.#attempt = 0; }, STABLE_MS);
    this.#pingTimer = setInterval(() => this.#ping(socket), PING_MS);
    this.#setState("up");
  }

  #ping(socket) {
    if (socket !== this.#socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ action: "ping" }));
    clearTimeout(this.#pongTimer);
    this.#pongTimer = setTimeout(() => this.#drop(socket), PONG_WAIT_MS);
  }

  #received(socket, data) {
    if (socket !== this.#socket) return;
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;  // not ours to understand; the next frame may be
    }
    if (frame?.type === "pong") {
      clearTimeout(this.#pongTimer);
      return;
    }
    if (frame && typeof frame === "object") this.#onFrame(frame);
  }

  // The one way a socket ends, whoever ended it: its timers stop, and a late event of it is ignored from then on
  // (a dead connection may take minutes to report its close; we do not wait for it).
  #drop(socket, { reconnect = true } = {}) {
    if (!socket || socket !== this.#socket) return;
    this.#socket = null;
    for (const timer of [this.#connectTimer, this.#pongTimer, this.#stableTimer]) clearTimeout(timer);
    clearInterval(this.#pingTimer);
    if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close();
    if (!reconnect || this.#stopped) return;
    this.#down();
  }

  #down() {
    if (this.#stopped || this.#retryTimer) return;
    this.#setState("down");
    this.#retryTimer = setTimeout(() => this.#connect(), reconnectDelay(this.#attempt));
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
