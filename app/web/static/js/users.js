// Users and roles: change a role or dealers, (de)activate, create a user.
import { api, clearErrors, flash, messages, showErrors } from "./api.js";

function selected(select) {
  return Array.from(select.selectedOptions, (option) => Number(option.value));
}

for (const row of document.querySelectorAll("tr[data-user]")) {
  row.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const action = button.dataset.action;
    const body =
      action === "save"
        ? { dealer_ids: selected(row.querySelector('select[name="dealer_ids"]')) }
        : { is_active: action === "activate" };
    const role = row.querySelector('select[name="role"]');
    if (action === "save" && !role.disabled) body.role = role.value;
    clearErrors(row);
    try {
      await api("PATCH", `/api/v1/users/${row.dataset.user}`, body);
    } catch (error) {
      showErrors(row, error);
      return;
    }
    flash(messages.saved);
    window.location.reload();
  });
}

const form = document.getElementById("user-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  try {
    await api("POST", "/api/v1/users", {
      display_name: form.elements.display_name.value,
      email: form.elements.email.value.trim(),
      role: form.elements.role.value,
      dealer_ids: selected(form.elements.dealer_ids),
      password: form.elements.password.value,
      language: document.documentElement.lang || "en",
    });
  } catch (error) {
    showErrors(form, error);
    return;
  }
  flash(messages.saved);
  window.location.reload();
});
