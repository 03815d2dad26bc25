// The supervisor board: queue depth by reason, callbacks due, the agents' day (refreshed every
// 30 seconds while the tab is visible), and pausing or re-prioritising a campaign.
import { api, clearErrors, flash, showErrors, showFieldError } from "./api.js";

const data = JSON.parse(document.getElementById("board-data").textContent);
const T = data.text;
const lang = document.documentElement.lang || "en";
const REFRESH_MS = 30 * 1000;
const dealer = encodeURIComponent(data.dealer);
const zone = encodeURIComponent(data.time_zone);

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
const number = (value) => new Intl.NumberFormat(lang).format(value);

function cell(text, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.textContent = text;
  return td;
}

function row(...cells) {
  const tr = document.createElement("tr");
  tr.append(...cells);
  return tr;
}

function show(name, count) {
  document.getElementById(`${name}-table`).hidden = count === 0;
  document.getElementById(`${name}-empty`).hidden = count > 0;
}

function renderQueue(queue) {
  const byReason = new Map();
  for (const r of queue.data) {
    const line = byReason.get(r.reason) || { ready: 0, callable: 0, claimed: 0, callback: 0 };
    if (r.status in line) line[r.status] += r.tasks;
    line.callable += r.callable_now;
    byReason.set(r.reason, line);
  }
  const body = document.getElementById("queue-rows");
  body.replaceChildren();
  for (const [reason, line] of byReason) {
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = data.types[reason] || reason;
    th.dataset.reason = reason;
    body.append(
      row(th, cell(number(line.ready), "num"), cell(number(line.callable), "num"),
        cell(number(line.claimed), "num"), cell(number(line.callback), "num")),
    );
  }
  show("queue", byReason.size);
}

function renderDue(due) {
  const body = document.getElementById("due-rows");
  body.replaceChildren();
  const format = new Intl.DateTimeFormat(lang, { timeStyle: "short", dateStyle: "short", timeZone: data.time_zone });
  for (const c of due.data) {
    const when = cell(format.format(new Date(c.callback_at)));
    if (c.overdue) {
      const badge = document.createElement("span");
      badge.className = "badge warn";
      badge.textContent = T.overdue;
      when.append(" ", badge);
    }
    body.append(row(when, cell(c.agent_name || (c.agent_id ? `#${c.agent_id}` : T.anyone)), cell(number(c.priority), "num")));
  }
  show("due", due.data.length);
}

function renderAgents(agents) {
  const body = document.getElementById("agents-rows");
  body.replaceChildren();
  for (const a of agents.data) {
    body.append(
      row(cell(a.name || `#${a.agent_id}`), cell(number(a.attempts), "num"), cell(number(a.reached), "num"),
        cell(number(a.booked), "num"), cell(number(a.held_now), "num")),
    );
  }
  show("agents", agents.data.length);
}

async function refresh() {
  const status = document.getElementById("board-updated");
  try {
    const [queue, due, agents] = await Promise.all([
      api("GET", `/api/v1/supervisor/queue?dealer=${dealer}`),
      api("GET", `/api/v1/supervisor/callbacks?dealer=${dealer}&within_minutes=60`),
      api("GET", `/api/v1/supervisor/agents?dealer=${dealer}&time_zone=${zone}`),
    ]);
    renderQueue(queue);
    renderDue(due);
    renderAgents(agents);
    const time = new Intl.DateTimeFormat(lang, { timeStyle: "medium" }).format(new Date());
    status.textContent = fill(T.updated, { time });
    status.dataset.refreshedAt = String(Date.now());
  } catch (error) {
    status.textContent = fill(T.stale, { error: error.message });
  }
}

for (const form of document.querySelectorAll(".campaign-form")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const boost = form.elements.priority_boost.value.trim();
    const value = Number(boost);
    if (boost === "" || !Number.isInteger(value) || value < -100 || value > 100) {
      showFieldError(form, "priority_boost", T.boost);
      form.elements.priority_boost.focus();
      return;
    }
    try {
      const result = await api("PATCH", `/api/v1/dealers/${dealer}/campaigns/${form.dataset.type}`, {
        paused: form.elements.paused.checked,
        priority_boost: value,
      });
      flash(fill(T.saved, { n: number(result.tasks_reprioritised) }));
    } catch (error) {
      showErrors(form, error);
      return;
    }
    refresh();
  });
}

refresh();
setInterval(() => {
  if (!document.hidden) refresh();
}, REFRESH_MS);
