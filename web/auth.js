// Cognito sign-in with its own InitiateAuth API (USER_PASSWORD_AUTH), tokens kept in memory only,
// refreshed with the refresh token config.json's tokenRefreshMarginSeconds (a minute) before the access token
// expires.

import { tokenTimings } from "./config.js";

const refreshMarginMs = () => tokenTimings.tokenRefreshMarginSeconds * 1000;

export class AuthError extends Error {}

export class SessionExpired extends AuthError {
  constructor() { super("Your session has expired. Please sign in again."); }
}

export class Session {
  #cognito; #tokens = null; #timer = null; #refreshing = null; #onExpired;

  constructor(cognito, onExpired) {
    this.#cognito = cognito;
    this.#onExpired = onExpired;
  }

  get username() { return this.#tokens?.username ?? null; }
  get signedIn() { return this.#tokens !== null; }

  async signIn(username, password) {
    const result = await this.#initiateAuth("USER_PASSWORD_AUTH", { USERNAME: username, PASSWORD: password });
    this.#store(result, username);
  }

  async accessToken() {
    return (await this.token()).accessToken;
  }

  // The access token with its expiry on this device's clock: the WebSocket opens a new connection before it.
  async token() {
    if (!this.#tokens) throw new AuthError("Please sign in.");
    if (Date.now() > this.#tokens.expiresAt - refreshMarginMs()) await this.refresh();
    if (!this.#tokens) throw new AuthError("Please sign in.");  // signed out while it was being refreshed
    const { accessToken, expiresAt } = this.#tokens;
    return { accessToken, expiresAt };
  }

  // One refresh at a time: every call that finds the token about to expire waits for the same one.
  refresh() {
    if (!this.#tokens) return Promise.reject(new AuthError("Please sign in."));
    this.#refreshing ??= this.#refresh().finally(() => { this.#refreshing = null; });
    return this.#refreshing;
  }

  async #refresh() {
    const { refreshToken, username } = this.#tokens;
    try {
      const result = await this.#initiateAuth("REFRESH_TOKEN_AUTH", { REFRESH_TOKEN: refreshToken });
      this.#store({ RefreshToken: refreshToken, ...result }, username);
    } catch {
      this.signOut();
      throw new SessionExpired();
    }
  }

  signOut() {
    clearTimeout(this.#timer);
    this.#tokens = null;
  }

  #store(result, username) {
    const accessToken = result.AccessToken;
    // Lifetime counted on this device's clock from receipt, so a skewed clock cannot expire it early or late.
    const claims = JSON.parse(atob(accessToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    const lifetimeSeconds = result.ExpiresIn ?? claims.exp - claims.iat;
    const expiresAt = Date.now() + lifetimeSeconds * 1000;
    this.#tokens = { accessToken, refreshToken: result.RefreshToken, username, expiresAt };
    clearTimeout(this.#timer);
    const inMs = Math.max(this.#tokens.expiresAt - Date.now() - refreshMarginMs(), 5_000);
    // Refreshed in the background, so an open page never meets an expired token; if that fails, say so.
    this.#timer = setTimeout(() => this.refresh().catch(() => this.#onExpired()), inMs);
  }

  async #initiateAuth(flow, parameters) {
    let response;
    try {
      response = await fetch(this.#cognito.endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
        },
        body: JSON.stringify({ AuthFlow: flow, ClientId: this.#cognito.clientId, AuthParameters: parameters }),
      });
    } catch {
      throw new AuthError("Cannot reach the sign-in service. Check your connection and try again.");
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const kind = String(body.__type || "").split("#").pop();
      if (kind === "NotAuthorizedException" || kind === "UserNotFoundException") {
        throw new AuthError("Wrong username or password.");
      }
      throw new AuthError("Sign-in failed. Please try again in a moment.");
    }
    if (!body.AuthenticationResult) throw new AuthError("This account needs a step this page does not support.");
    return body.AuthenticationResult;
  }
}
