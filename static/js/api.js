// What every page script needs from the server, in one namespace (window.QuizApp), loaded by base.html
// before the page scripts: the words and data the template wrote into the page, and the JSON API.
window.QuizApp = (function () {
  "use strict";

  // Django's CSRF cookie; every page sets it (base.html's language form holds a token).
  function csrfToken() {
    return document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1] || "";
  }

  // The API's answers (quizapp/core/errors.py): 400 with {field: [message, ...]} or {"detail": message};
  // 404, 409, 429 and 503 with {"detail": message}, and Retry-After (seconds) on 429 and 503.
  // Resolves with {ok, status, statusText, data, retryAfter} whatever the status, since what a 409 means is
  // the page's to say; data is null when the body is not JSON (a proxy's error page). Rejects only when
  // no answer came at all.
  async function request(url, {method = "GET", body, keepalive = false, signal} = {}) {
    const response = await fetch(url, {
      method, keepalive, signal, credentials: "same-origin",
      headers: {"Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken()},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => null);
    const retryAfter = response.headers.get("Retry-After");
    return {ok: response.ok, status: response.status, statusText: response.statusText, data,
            retryAfter: retryAfter === null ? null : Number(retryAfter)};
  }

  // What the template wrote for the scripts with json_script: the page's translated words, its data.
  const pageData = (elementId) => JSON.parse(document.getElementById(elementId).textContent);

  // A translated text with its %(name)s placeholders filled, as Python's % operator would.
  const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (placeholder, name) => String(values[name]));

  return {request, pageData, fill, csrfToken};
})();
