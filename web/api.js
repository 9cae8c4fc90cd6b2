// Talking to the server: asking a question, loading an article, reading the limits; every
// failure becomes a plain sentence for a person (never the API's own wording).

export const DEFAULT_MAX_QUESTION_CHARS = 2000;

/** What to tell a person for each error code of the API. */
const PLAIN = {
  empty_question: "Type a question first.",
  question_too_long: (limits) =>
    `That question is too long: please keep it to ${limits.maxQuestionChars.toLocaleString("en")} characters.`,
  invalid_question: "That question could not be read. Please type it again.",
  invalid_history: "The earlier questions could not be sent along. Please ask again.",
  invalid_filter: "That time or outlet choice could not be used. Please change it and ask again.",
  request_entity_too_large: "That question is too long to send. Please shorten it.",
  too_many_requests: "Too many questions in a short time. Please wait a moment and ask again.",
  index_unavailable:
    "The articles cannot be searched right now: they have not been indexed yet. Please try again later.",
  model_unavailable: "The articles cannot be searched right now. Please try again later.",
  internal_error: "Something went wrong on the server. Please try again.",
};

const PAGE_FAULT = "The page sent a question the server could not read. Reload the page and ask again.";

/** A plain sentence for an error answer (HTTP status and the API's error body). */
export function plainError(status, body, limits = { maxQuestionChars: DEFAULT_MAX_QUESTION_CHARS }) {
  const code = body && body.error && typeof body.error.code === "string" ? body.error.code : "";
  const plain = PLAIN[code];
  if (typeof plain === "function") return plain(limits);
  if (plain) return plain;
  if (status === 400 || status === 415) return PAGE_FAULT;
  if (status === 413) return PLAIN.request_entity_too_large;
  if (status === 429) return PLAIN.too_many_requests;
  if (status === 503) return "The articles cannot be searched right now. Please try again in a moment.";
  return `The server could not answer (error ${status}). Please try again.`;
}

async function json(response) {
  try {
    return await response.json();
  } catch {
    return null; // not JSON: the status decides
  }
}

/**
 * Ask a question (the server's default number of passages): {kind: "reply", response} or
 * {kind: "error", message}. `extra` holds more request fields (a thread, filters).
 */
export async function ask(question, limits, extra = {}) {
  let response;
  try {
    response = await fetch("/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ question, ...extra }),
    });
  } catch {
    return {
      kind: "error",
      message:
        "Could not reach the server. Check your connection, or that the server is running, and try again.",
    };
  }
  const body = await json(response);
  if (response.ok && body && Array.isArray(body.passages)) return { kind: "reply", response: body };
  if (response.ok) {
    return {
      kind: "error",
      message: "The server sent a reply this page cannot read. Please try again.",
    };
  }
  return { kind: "error", message: plainError(response.status, body, limits) };
}

/** An article: {article} or {missing: true} (404) or {message} (any other failure). */
export async function loadArticle(id) {
  let response;
  try {
    response = await fetch(`/articles/${encodeURIComponent(id)}`, {
      headers: { Accept: "application/json" },
    });
  } catch {
    return { message: "Could not reach the server to load this article. Please try again." };
  }
  const body = await json(response);
  if (response.ok && body && typeof body.title === "string") return { article: body };
  if (response.status === 404) return { missing: true };
  return { message: plainError(response.status, body) };
}

/** The outlets of the index: [{name, articles, first_date, last_date}], or {message}. */
export async function loadSources() {
  let response;
  try {
    response = await fetch("/sources", { headers: { Accept: "application/json" } });
  } catch {
    return { message: "Could not reach the server to list the outlets." };
  }
  const body = await json(response);
  if (response.ok && body && Array.isArray(body.sources)) {
    return { sources: body.sources.filter((s) => s && typeof s.name === "string") };
  }
  return { message: plainError(response.status, body) };
}

/** The server's limits, from its OpenAPI document (the defaults when it cannot be read). */
export async function loadLimits() {
  const limits = { maxQuestionChars: DEFAULT_MAX_QUESTION_CHARS };
  try {
    const response = await fetch("/openapi.json", { headers: { Accept: "application/json" } });
    const document = await response.json();
    const schema = document.components.schemas.AskRequest.properties.question;
    if (Number.isInteger(schema.maxLength) && schema.maxLength > 0) {
      limits.maxQuestionChars = schema.maxLength;
    }
  } catch {
    // The defaults; the server still checks.
  }
  return limits;
}
