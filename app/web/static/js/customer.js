// The customer page: saving the consent flags.
import { api, clearErrors, flash, messages, showErrors, showFieldError } from "./api.js";

const form = document.getElementById("consent-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const channel = form.elements.channel.value;
  if (!channel) {
    showFieldError(form, "channel", form.dataset.msgChannel);
    form.elements.channel.focus();
    return;
  }
  try {
    await api("PATCH", `/api/v1/customers/${form.dataset.customer}/consent`, {
      marketing_calls: form.elements.marketing_calls.checked,
      do_not_call: form.elements.do_not_call.checked,
      channel,
    });
  } catch (error) {
    showErrors(form, error);
    return;
  }
  flash(messages.saved);
  window.location.reload();
});
