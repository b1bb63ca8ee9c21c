// Calls to the /v1 API with the session cookie; state-changing calls carry the CSRF token.
let csrf = "";

export function setCsrf(token) { csrf = token; }

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// The reply as {status, text}; a failure other than the statuses in `documents` (replies
// that carry a document, such as the frames' 409) throws an ApiError with its message.
async function send(method, path, body, accept, documents) {
  const headers = { "Accept": accept || "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, credentials: "same-origin",
                                  body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok && !(documents || []).includes(res.status)) {
    let message = text;
    try { message = JSON.parse(text).error.message; } catch (e) { /* not JSON */ }
    throw new ApiError(res.status, res.status + ": " + message);
  }
  return { status: res.status, text };
}

async function call(method, path, body, accept) {
  const { text } = await send(method, path, body, accept);
  return (accept && accept !== "application/json") ? text : JSON.parse(text);
}

export const get = (path) => call("GET", path);
// GET of a JSON document also served with the given error statuses: {status, body}.
export const getDocument = async (path, statuses) => {
  const { status, text } = await send("GET", path, undefined, undefined, statuses);
  return { status, body: JSON.parse(text) };
};
export const getText = (path) => call("GET", path, undefined, "text/markdown");
export const post = (path, body) => call("POST", path, body === undefined ? {} : body);
