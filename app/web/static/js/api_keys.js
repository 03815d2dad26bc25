// API keys: create one (its secret is shown once, here) or revoke one.
import { api, clearErrors, flash, messages, showErrors } from "./api.js";

const form = document.getElementById("key-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const scopes = Array.from(form.querySelectorAll('input[name="scopes"]:checked'), (i) => i.value);
  let created;
  try {
    created = await api("POST", "/api/v1/api-keys", {
      name: form.elements.name.value.trim(),
      dealer_id: Number(form.elements.dealer_id.value),
      scopes,
    });
  } catch (error) {
    showErrors(form, error);
    return;
  }
  form.reset();
  const panel = document.getElementById("new-key");
  document.getElementById("new-key-secret").textContent = created.key;
  panel.hidden = false;
  panel.scrollIntoView();
});

for (const row of document.querySelectorAll("tr[data-key]")) {
  const button = row.querySelector('button[data-action="revoke"]');
  if (!button) continue;
  button.addEventListener("click", async () => {
    try {
      await api("POST", `/api/v1/api-keys/${row.dataset.key}/revoke`);
    } catch (error) {
      flash(error.message || messages.failed, "error");
      return;
    }
    window.location.reload();
  });
}
