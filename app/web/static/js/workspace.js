// The agent workspace: take the next call, show its card, renew the lease while it is open,
// record the outcome (with a callback time or a workshop booking), list my callbacks.
// Keys: N takes the next call, 1–9 record the numbered outcome (not while typing in a field).
import { api, clearErrors, flash, messages, showErrors, showFieldError } from "./api.js";

const data = JSON.parse(document.getElementById("workspace-data").textContent);
const T = data.text;
const lang = document.documentElement.lang || "en";
const LEASE_RENEW_MS = 2 * 60 * 1000; // the lease lasts 5 minutes
const SLOT_MINUTES = 60;

const nextButton = document.getElementById("next-call");
const queueStatus = document.getElementById("queue-status");
const cardBox = document.getElementById("call-card");
const form = document.getElementById("outcome-form");
const outcomeButtons = document.getElementById("outcome-buttons");
const vehicleSelect = document.getElementById("vehicle_id");
const slotSelect = document.getElementById("slot");

let card = null;
let renewTimer = null;
let busy = false;

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "className") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === "") continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function formatMoment(iso, zone) {
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short", timeZone: zone })
    .format(new Date(iso));
}

function formatDay(isoDate) {
  const [y, m, d] = isoDate.slice(0, 10).split("-").map(Number);
  return new Intl.DateTimeFormat(lang, { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

function formatDate(isoDate) {
  const [y, m, d] = isoDate.slice(0, 10).split("-").map(Number);
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

function formatNumber(value) {
  return new Intl.NumberFormat(lang).format(Number(value));
}

function formatMoney(value, currency) {
  return new Intl.NumberFormat(lang, { style: "currency", currency }).format(Number(value));
}

// Distances are stored in km and shown in the dealer's unit.
function formatDistance(km, unit) {
  const miles = unit === "mi";
  return new Intl.NumberFormat(lang, { style: "unit", unit: miles ? "mile" : "kilometer", maximumFractionDigits: 0 })
    .format(miles ? Number(km) / 1.609344 : Number(km));
}

function typeLabel(code) {
  return data.types[code] || code;
}

function dealerOf(id) {
  return data.dealers[String(id)] || null;
}

// The card ----------------------------------------------------------------------------------

function renderPhones(phones) {
  const list = document.getElementById("card-phones");
  list.replaceChildren();
  for (const phone of phones) {
    list.append(
      el(
        "li",
        {},
        el("a", { href: `tel:${phone.number}`, className: "phone" }, phone.number),
        ` · ${data.phone_types[phone.type] || phone.type}`,
        phone.is_primary ? ` · ${T.primary}` : "",
      ),
    );
  }
}

function renderVehicles(vehicles) {
  const list = document.getElementById("card-vehicles");
  list.replaceChildren();
  if (!vehicles.length) list.append(el("li", { className: "muted" }, T.no_vehicles));
  for (const v of vehicles) {
    const reasons = el("ul", { className: "reasons" });
    for (const r of v.reasons) {
      reasons.append(
        el(
          "li",
          {},
          el("strong", {}, typeLabel(r.type)),
          ` · ${fill(T.due, { date: formatDate(r.due_date) })}`,
          r.confidence ? " · " : "",
          r.confidence ? el("span", { className: `badge confidence-${r.confidence}` }, data.confidence[r.confidence] || r.confidence) : "",
          el("p", { className: "muted explanation" }, r.explanation),
        ),
      );
    }
    const title = [v.make, v.model].filter(Boolean).join(" ") + (v.model_year ? ` (${v.model_year})` : "");
    list.append(
      el(
        "li",
        { className: "vehicle" },
        el("p", {}, el("strong", {}, title), v.registration ? ` · ${v.registration}` : "", " · ", el("span", { className: "mono" }, v.vin)),
        v.reasons.length ? reasons : "",
      ),
    );
  }
}

function renderHistory(c) {
  const events = [];
  for (const a of c.earlier_attempts) {
    events.push({ at: a.started_at, kind: "call", title: T.call, text: [a.label, a.note].filter(Boolean).join(" · "), moment: true });
  }
  const dealer = dealerOf(c.dealer_id);
  for (const v of c.last_visits) {
    const parts = [];
    if (v.odometer_km !== null) parts.push(formatDistance(v.odometer_km, dealer?.distance_unit));
    parts.push(dealer ? formatMoney(v.total, dealer.currency) : formatNumber(v.total));
    events.push({ at: v.opened_date, kind: "repair_order", title: T.visit, text: parts.join(" · "), moment: false });
  }
  for (const a of c.appointments) {
    events.push({ at: a.slot_start, kind: "appointment", title: T.appointment, text: data.status[a.status] || a.status, moment: true });
  }
  events.sort((x, y) => (x.at < y.at ? 1 : x.at > y.at ? -1 : 0));
  const list = document.getElementById("card-history");
  list.replaceChildren();
  if (!events.length) list.append(el("li", { className: "muted" }, T.no_history));
  for (const e of events) {
    const when = e.moment ? formatMoment(e.at, c.time_zone) : formatDate(e.at);
    list.append(
      el(
        "li",
        { className: `event event-${e.kind}` },
        el("p", { className: "event-head" }, el("strong", {}, e.title), " · ", el("time", { datetime: e.at }, when)),
        e.text ? el("p", {}, e.text) : "",
      ),
    );
  }
}

function renderOutcomes(dispositions) {
  outcomeButtons.replaceChildren();
  dispositions.forEach((d, index) => {
    const key = index < 9 ? String(index + 1) : null;
    const button = el(
      "button",
      { type: "button", className: d.final && !d.booked ? "secondary" : null, dataset: { code: d.code }, "aria-keyshortcuts": key },
      key ? el("kbd", {}, key) : "",
      key ? " " : "",
      d.label,
    );
    button.addEventListener("click", () => recordOutcome(d));
    outcomeButtons.append(button);
  });
}

function renderVehicleChoice(vehicles) {
  vehicleSelect.replaceChildren();
  for (const v of vehicles) {
    const label = [v.make, v.model, v.registration || v.vin].filter(Boolean).join(" ");
    vehicleSelect.append(el("option", { value: String(v.id) }, label));
  }
}

async function loadSlots(c) {
  slotSelect.replaceChildren(el("option", { value: "" }, T.choose_slot));
  let answer;
  try {
    answer = await api("GET", `/api/v1/dealers/${encodeURIComponent(c.dealer)}/slots?duration=${SLOT_MINUTES}`);
  } catch (error) {
    showFieldError(form, "booking.slot_start", error.message);
    return;
  }
  if (card !== c) return; // the card was closed meanwhile
  const days = new Map();
  const now = Date.now();
  for (const slot of answer.data) {
    if (new Date(slot.start).getTime() <= now) continue; // today's slots that have passed
    const day = slot.start.slice(0, 10); // the dealer's local date (the offset is the dealer's)
    if (!days.has(day)) days.set(day, []);
    days.get(day).push(slot);
  }
  if (!days.size) {
    slotSelect.replaceChildren(el("option", { value: "" }, T.no_slots));
    return;
  }
  for (const [day, slots] of days) {
    const group = el("optgroup", { label: `${formatDay(day)} · ${fill(T.free, { n: formatNumber(slots.length) })}` });
    for (const slot of slots) {
      group.append(el("option", { value: slot.start }, `${formatDay(day)} ${slot.start.slice(11, 16)}`));
    }
    slotSelect.append(group);
  }
}

function showCard(c) {
  card = c;
  clearErrors(form);
  form.reset();
  document.getElementById("card-name").textContent = c.customer.name;
  const meta = [typeLabel(c.primary_type), fill(T.attempts, { n: c.attempts + 1 }), fill(T.priority, { n: c.priority })];
  if (c.purpose === "safety_recall" || !c.customer.marketing_calls) meta.push(T.recall_only);
  document.getElementById("card-meta").textContent = meta.join(" · ");
  showLease(c.lease_expires_at);
  renderPhones(c.phones);
  renderVehicles(c.vehicles);
  document.getElementById("card-script").textContent = c.script;
  renderHistory(c);
  renderVehicleChoice(c.vehicles);
  renderOutcomes(c.dispositions);
  setOutcomesEnabled(true);
  cardBox.hidden = false;
  nextButton.disabled = true;
  queueStatus.textContent = "";
  loadSlots(c);
  clearInterval(renewTimer);
  renewTimer = setInterval(renewLease, LEASE_RENEW_MS);
}

function closeCard() {
  clearInterval(renewTimer);
  renewTimer = null;
  card = null;
  cardBox.hidden = true;
  nextButton.disabled = false;
  nextButton.focus();
}

function showLease(iso) {
  document.getElementById("card-lease").textContent = fill(T.lease, {
    time: new Intl.DateTimeFormat(lang, { timeStyle: "short" }).format(new Date(iso)),
  });
}

function setOutcomesEnabled(enabled) {
  for (const button of outcomeButtons.querySelectorAll("button")) button.disabled = !enabled;
}

function leaseLost() {
  if (card) card.lost = true;
  clearInterval(renewTimer);
  renewTimer = null;
  setOutcomesEnabled(false);
  document.getElementById("card-lease").textContent = T.lease_lost;
  nextButton.disabled = false;
  flash(T.lease_lost, "error");
}

async function renewLease() {
  if (!card) return;
  const c = card;
  try {
    const lease = await api("POST", `/api/v1/call-tasks/${c.task_id}/lease`, { claim_token: c.claim_token });
    if (card === c) showLease(lease.lease_expires_at);
  } catch (error) {
    if (card === c && error.status === 409) leaseLost();
  }
}

// Actions -----------------------------------------------------------------------------------

async function nextCall() {
  if (busy || (card && !card.lost)) return;
  busy = true;
  nextButton.disabled = true;
  queueStatus.textContent = T.loading;
  try {
    const c = await api("POST", "/api/v1/agent/next-call");
    if (c === null) {
      queueStatus.textContent = T.empty;
      nextButton.disabled = false;
    } else {
      showCard(c);
    }
  } catch (error) {
    queueStatus.textContent = "";
    nextButton.disabled = false;
    flash(error.message || messages.failed, "error");
  } finally {
    busy = false;
  }
}

// A 400 names its field as "field: message"; put it next to that field when the form has one.
function showOutcomeError(error) {
  const listed = (error.body && error.body.errors) || [];
  const match = /^([a-z_.]+): (.+)$/.exec(error.message || "");
  if (!listed.length && match && form.querySelector(`[data-error-for="${CSS.escape(match[1])}"]`)) {
    clearErrors(form);
    showFieldError(form, match[1], match[2]);
    return;
  }
  showErrors(form, error);
}

async function recordOutcome(d) {
  if (!card || busy) return;
  const c = card;
  clearErrors(form);
  const body = { claim_token: c.claim_token, disposition: d.code };
  const note = form.elements.note.value.trim();
  if (note) body.note = note;
  let missing = false;
  if (d.callback) {
    const value = form.elements.callback_at.value;
    if (!value) {
      showFieldError(form, "callback_at", T.need_callback);
      missing = true;
    } else {
      body.callback_at = new Date(value).toISOString(); // the browser's local time, as UTC
    }
  }
  if (d.booked) {
    if (!slotSelect.value) {
      showFieldError(form, "booking.slot_start", T.need_slot);
      missing = true;
    }
    if (!vehicleSelect.value) {
      showFieldError(form, "booking.vehicle_id", T.need_vehicle);
      missing = true;
    }
    body.booking = { vehicle_id: Number(vehicleSelect.value), slot_start: slotSelect.value, duration_minutes: SLOT_MINUTES };
  }
  if (d.ends_ownership && vehicleSelect.value) body.vehicle_id = Number(vehicleSelect.value);
  if (missing) {
    form.querySelector('[aria-invalid="true"]')?.focus();
    return;
  }
  busy = true;
  setOutcomesEnabled(false);
  let result;
  try {
    result = await api("POST", `/api/v1/call-tasks/${c.task_id}/outcome`, body);
  } catch (error) {
    busy = false;
    if (error.status === 409 && !/slot/.test(error.message)) {
      leaseLost();
      return;
    }
    setOutcomesEnabled(true);
    showOutcomeError(error);
    if (d.booked) loadSlots(c);
    return;
  } finally {
    busy = false;
  }
  const text = result.appointment
    ? fill(T.booked, { time: formatMoment(result.appointment.slot_start, dealerOf(c.dealer_id)?.time_zone || c.time_zone) })
    : fill(T.recorded, { outcome: d.label });
  flash(text);
  closeCard();
  loadCallbacks();
}

// My callbacks ------------------------------------------------------------------------------

const zoneOfCode = Object.fromEntries(Object.values(data.dealers).map((d) => [d.code, d.time_zone]));

async function loadCallbacks() {
  let answer;
  try {
    answer = await api("GET", "/api/v1/agent/callbacks");
  } catch {
    return;
  }
  const body = document.getElementById("my-callbacks");
  body.replaceChildren();
  for (const cb of answer.data) {
    body.append(
      el(
        "tr",
        { className: cb.overdue ? "overdue" : null },
        el("td", {}, el("time", { datetime: cb.callback_at }, formatMoment(cb.callback_at, zoneOfCode[cb.dealer] || "UTC")), cb.overdue ? " " : "", cb.overdue ? el("span", { className: "badge warn" }, T.overdue) : ""),
        el("td", {}, el("a", { href: `/customers/${cb.customer_id}` }, cb.customer_name)),
        el("td", {}, typeLabel(cb.primary_type)),
      ),
    );
  }
  document.getElementById("callbacks-table").hidden = !answer.data.length;
  document.getElementById("no-callbacks").hidden = answer.data.length > 0;
}

// Wiring ------------------------------------------------------------------------------------

nextButton.addEventListener("click", nextCall);
form.addEventListener("submit", (event) => event.preventDefault());

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  const target = event.target;
  if (target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
  if (event.key === "n" || event.key === "N") {
    if (!card || card.lost) {
      event.preventDefault();
      nextCall();
    }
    return;
  }
  if (card && /^[1-9]$/.test(event.key)) {
    const button = outcomeButtons.querySelectorAll("button")[Number(event.key) - 1];
    if (button && !button.disabled) {
      event.preventDefault();
      button.click();
    }
  }
});

loadCallbacks();
