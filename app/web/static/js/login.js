import { api, clearErrors, showErrors, showFieldError } from "./api.js";

const form = document.getElementById("login-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const email = form.elements.email.value.trim();
  const password = form.elements.password.value;
  let missing = false;
  if (!email) {
    showFieldError(form, "email", form.dataset.msgRequired);
    missing = true;
  }
  if (!password) {
    showFieldError(form, "password", form.dataset.msgRequired);
    missing = true;
  }
  if (missing) return;
  try {
    await api("POST", "/api/v1/auth/login", { email, password });
  } catch (error) {
    showErrors(form, error, { 401: form.dataset.msgWrong, 429: form.dataset.msgLimited });
    return;
  }
  window.location.assign(form.dataset.next || "/");
});
