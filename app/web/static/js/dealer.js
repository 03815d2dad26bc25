// Dealer settings: capacity, opening hours, calling windows and rule overrides in one PATCH.
import { api, clearErrors, flash, messages, showErrors, showFieldError } from "./api.js";

const form = document.getElementById("dealer-form");
const SPAN = /^([01]\d|2[0-3]):[0-5]\d$/;

// "08:00-12:00, 13:00-17:00" -> [["08:00", "12:00"], ["13:00", "17:00"]]; null when malformed.
function parseSpans(text) {
  const spans = [];
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [start, end] = part.split("-").map((t) => t.trim());
    if (!SPAN.test(start || "") || !SPAN.test(end || "")) return null;
    spans.push([start, end]);
  }
  return spans;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const body = { clear: [] };
  let bad = false;
  const capacity = form.elements.workshop_capacity_per_day.value;
  if (capacity !== "") body.workshop_capacity_per_day = Number(capacity);
  for (const week of form.querySelectorAll("fieldset[data-week]")) {
    const name = week.dataset.week;
    if (week.querySelector(`#${name}-default`).checked) {
      body.clear.push(name);
      continue;
    }
    const hours = {};
    for (const input of week.querySelectorAll("input[data-day]")) {
      const spans = parseSpans(input.value);
      if (spans === null) {
        showFieldError(form, `${name}.${input.dataset.day}`, form.dataset.msgSpans);
        bad = true;
      } else if (spans.length) {
        hours[input.dataset.day] = spans;
      }
    }
    body[name] = hours;
  }
  const settings = {};
  for (const input of form.querySelectorAll("input[data-setting]")) {
    if (input.value.trim() !== "") settings[input.dataset.setting] = Number(input.value);
  }
  body.settings = settings;
  if (bad) {
    flash(messages.fix, "error");
    return;
  }
  try {
    await api("PATCH", `/api/v1/dealers/${form.dataset.dealer}/settings`, body);
  } catch (error) {
    showErrors(form, error);
    return;
  }
  flash(messages.saved);
});
