// Where the API and Cognito are. The local gateway serves config.json for the local stack; a static host
// serves a copy of config.example.json filled in for the deployment.
const EDIT_WINDOW_SECONDS = 900;  // the API's default (MessageEditWindowSeconds): what a config without it means
// The session refreshes its access token this long before it expires (auth.js), and the WebSocket opens a new
// connection this long before its token expires (live.js): after the refresh, so the new one carries the fresh
// token. Shorter only for tests that let tokens expire within seconds.
const TOKEN_REFRESH_MARGIN_SECONDS = 60;
const SOCKET_RENEW_MARGIN_SECONDS = 45;

// What auth.js and live.js read when they schedule a refresh or a renewal; loadConfig fills it in from config.json.
export const tokenTimings = {
  tokenRefreshMarginSeconds: TOKEN_REFRESH_MARGIN_SECONDS,
  socketRenewMarginSeconds: SOCKET_RENEW_MARGIN_SECONDS,
};

const positive = (value, otherwise) => (Number.isFinite(Number(value)) && Number(value) > 0 ? Number(value) : otherwise);

export async function loadConfig() {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error("config.json is missing: copy config.example.json and fill it in.");
  const config = await response.json();
  tokenTimings.tokenRefreshMarginSeconds = positive(config.tokenRefreshMarginSeconds, TOKEN_REFRESH_MARGIN_SECONDS);
  tokenTimings.socketRenewMarginSeconds = positive(config.socketRenewMarginSeconds, SOCKET_RENEW_MARGIN_SECONDS);
  // No websocketUrl (a deployment from before real-time delivery): the page polls, as it always did.
  return { apiUrl: (config.apiUrl || "").replace(/\/$/, ""), cognito: config.cognito,
    websocketUrl: config.websocketUrl || null,
    editWindowSeconds: positive(config.editWindowSeconds, EDIT_WINDOW_SECONDS) };
}
