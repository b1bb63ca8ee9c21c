// Calls to the /v1 API with the session cookie; state-changing calls carry the CSRF token.
let csrf = "";

export function setCsrf(token) { csrf = token; }

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function call(method, path, body, accept) {
  const headers = { "Accept": accept || "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, credentials: "same-origin",
                                  body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try { message = JSON.parse(text).error.message; } catch (e) { /* not JSON */ }
    throw new ApiError(res.status, res.status + ": " + message);
  }
  return (accept && accept !== "application/json") ? text : JSON.parse(text);
}

export const get = (path) => call("GET", path);
export const getText = (path) => call("GET", path, undefined, "text/markdown");
export const post = (path, body) => call("POST", path, body === undefined ? {} : body);
