// Calls to the REST API with the session cookie and the CSRF header, and form error display.

const messageBlock = document.getElementById("ui-messages");
export const messages = messageBlock ? JSON.parse(messageBlock.textContent) : {};

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || messages.failed || "error");
    this.status = status;
    this.body = body || {};
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export async function api(method, url, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { detail: messages.network });
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401 && !url.endsWith("/auth/login")) {
    window.location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export function flash(text, kind = "ok") {
  const box = document.getElementById("flash");
  if (!box) return;
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = false;
}

export function clearErrors(root) {
  for (const el of root.querySelectorAll("[data-error-for]")) {
    el.textContent = "";
    el.hidden = true;
  }
  for (const el of root.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

function slotFor(root, field) {
  const parts = field ? field.split(".") : [];
  while (parts.length) {
    const slot = root.querySelector(`[data-error-for="${CSS.escape(parts.join("."))}"]`);
    if (slot) return slot;
    parts.pop();
  }
  return root.querySelector('[data-error-for=""]');
}

export function showFieldError(root, field, message) {
  const slot = slotFor(root, field);
  if (!slot) return;
  slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
  slot.hidden = false;
  const input = slot.id ? root.querySelector(`[aria-describedby~="${CSS.escape(slot.id)}"]`) : null;
  if (input) input.setAttribute("aria-invalid", "true");
}

// Put each error of an API answer next to its field (form-level when no field matches).
export function showErrors(root, error, statusMessages = {}) {
  clearErrors(root);
  const listed = (error.body && error.body.errors) || [];
  if (statusMessages[error.status]) {
    showFieldError(root, "", statusMessages[error.status]);
  } else if (listed.length) {
    for (const item of listed) showFieldError(root, item.field || "", item.message || "");
    flash(messages.fix, "error");
  } else {
    showFieldError(root, "", error.message);
  }
  const first = root.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
}
