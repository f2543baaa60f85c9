// Where the API and Cognito are. The local gateway serves config.json for the local stack; a static host
// serves a copy of config.example.json filled in for the deployment.
const EDIT_WINDOW_SECONDS = 900;  // the API's default (MessageEditWindowSeconds): what a config without it means

export async function loadConfig() {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error("config.json is missing: copy config.example.json and fill it in.");
  const config = await response.json();
  const editWindow = Number(config.editWindowSeconds);
  // No websocketUrl (a deployment from before real-time delivery): the page polls, as it always did.
  return { apiUrl: (config.apiUrl || "").replace(/\/$/, ""), cognito: config.cognito,
    websocketUrl: config.websocketUrl || null,
    editWindowSeconds: Number.isFinite(editWindow) && editWindow > 0 ? editWindow : EDIT_WINDOW_SECONDS };
}
