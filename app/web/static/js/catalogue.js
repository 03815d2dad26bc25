// Catalogue administration (service plans, seasonal campaigns, dispositions): one dialog per
// page creates or edits a row through the REST API; each row can be deleted. Errors of the API
// are shown next to the field they name (a 409 next to the form's data-conflict-field).
import { api, clearErrors, flash, messages, showErrors, showFieldError } from "./api.js";

function bodyOf(form, creating) {
  const body = {};
  for (const input of form.querySelectorAll("input[name], select[name]")) {
    if (!creating && input.hasAttribute("data-create-only")) continue;
    const name = input.name;
    if (input.type === "checkbox") body[name] = input.checked;
    else if (input.type === "number") body[name] = input.value.trim() === "" ? null : Number(input.value);
    else if (input.value === "") body[name] = null;
    else body[name] = input.value.trim();
  }
  if (creating) {
    // Leave optional fields out rather than sending null for them.
    for (const [name, value] of Object.entries(body)) if (value === null) delete body[name];
  }
  return body;
}

function fill(form, values) {
  for (const input of form.querySelectorAll("input[name], select[name]")) {
    const value = values[input.name];
    if (input.type === "checkbox") input.checked = Boolean(value);
    else input.value = value === null || value === undefined ? "" : String(value);
  }
}

function showApiError(root, error) {
  const conflictField = root.dataset.conflictField;
  const listed = error.body && error.body.errors && error.body.errors.length;
  if (error.status === 409 && !listed && conflictField) {
    clearErrors(root);
    showFieldError(root, conflictField, error.message);
    return;
  }
  showErrors(root, error);
}

for (const section of document.querySelectorAll("[data-catalogue]")) {
  const endpoint = section.dataset.endpoint;
  const dialog = section.querySelector("dialog");
  const form = dialog.querySelector("form");
  const title = form.querySelector("h2");
  let editing = null;
  const defaults = Object.fromEntries(
    Array.from(form.querySelectorAll("input[name], select[name]"), (input) => [
      input.name,
      input.type === "checkbox" ? input.defaultChecked : input.defaultValue || (input.tagName === "SELECT" ? input.options[0]?.value ?? "" : ""),
    ]),
  );

  function open(row) {
    editing = row ? row.dataset.row : null;
    clearErrors(form);
    fill(form, row ? JSON.parse(row.dataset.values) : defaults);
    for (const input of form.querySelectorAll("[data-create-only]")) input.disabled = Boolean(row);
    title.textContent = row ? title.dataset.titleEdit : title.dataset.titleNew;
    dialog.showModal();
    const first = form.querySelector("input:not([disabled]), select:not([disabled])");
    if (first) first.focus();
  }

  section.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const action = button.dataset.action;
    const row = button.closest("tr[data-row]");
    if (action === "new") open(null);
    else if (action === "edit") open(row);
    else if (action === "cancel") dialog.close();
    else if (action === "delete") {
      if (!window.confirm(section.dataset.confirm)) return;
      clearErrors(row);
      try {
        await api("DELETE", `${endpoint}/${encodeURIComponent(row.dataset.row)}`);
      } catch (error) {
        showErrors(row, error);
        return;
      }
      flash(messages.saved);
      window.location.reload();
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const creating = editing === null;
    try {
      if (creating) await api("POST", endpoint, bodyOf(form, true));
      else await api("PATCH", `${endpoint}/${encodeURIComponent(editing)}`, bodyOf(form, false));
    } catch (error) {
      showApiError(form, error);
      return;
    }
    dialog.close();
    flash(messages.saved);
    window.location.reload();
  });
}
