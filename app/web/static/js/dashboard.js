// The manager dashboard: reads the funnel and agent reports from the REST API with the form's
// filters and draws KPIs, the funnel bars, the trend and the uplift intervals as SVG.
import { api, clearErrors, showErrors, showFieldError } from "./api.js";

const form = document.getElementById("dashboard-filters");
const text = JSON.parse(document.getElementById("dashboard-data").textContent);
const status = document.getElementById("dashboard-status");
const locale = document.documentElement.lang || "en";
const SVG = "http://www.w3.org/2000/svg";
const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
const signed = new Intl.NumberFormat(locale, { maximumFractionDigits: 1, signDisplay: "exceptZero" });
const STAGES = ["targeted", "attempted", "reached", "booked", "arrived"];
const TREND = ["targeted", "booked", "arrived"];
const RECALL_ROWS = 15;

function svg(name, attributes = {}, content) {
  const el = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, String(value));
  if (content !== undefined) el.textContent = content;
  return el;
}

function cell(row, value, className) {
  const td = row.insertCell();
  td.textContent = value;
  if (className) td.className = className;
  return td;
}

const rate = (value) => (value === null || value === undefined ? "–" : percent.format(value));
const points = (value) => (value === null || value === undefined ? "–" : `${signed.format(value * 100)} ${text.points}`);

function money(value) {
  if (value === null || value === undefined) return "–";
  const number = Number(value);
  const dealer = form.elements.dealer.selectedOptions[0];
  const currency = (dealer && dealer.dataset.currency) || text.currency;
  if (!currency) return integer.format(number); // dealers of several currencies: no symbol
  return new Intl.NumberFormat(locale, { style: "currency", currency }).format(number);
}

function filters() {
  const params = new URLSearchParams();
  for (const name of ["from", "to", "grain", "dealer", "type", "segment"]) {
    const value = form.elements[name].value;
    if (value) params.set(name, value);
  }
  return params;
}

function setKpi(key, raw, shown, change) {
  const box = document.querySelector(`[data-kpi="${key}"]`);
  const value = box.querySelector("[data-value]");
  value.textContent = shown;
  value.dataset.raw = raw === null || raw === undefined ? "" : String(raw);
  const delta = box.querySelector("[data-change]");
  delta.textContent = "";
  delete delta.dataset.trend;
  if (change && change.change !== null && change.change !== undefined) {
    const amount = Number(change.change);
    const shownChange = key === "conversion_rate" ? points(amount) : key === "revenue" ? money(amount) : signed.format(amount);
    delta.textContent = `${amount > 0 && key === "revenue" ? "+" : ""}${shownChange} ${text.vs_previous}`;
    if (amount !== 0) delta.dataset.trend = amount > 0 ? "up" : "down";
  }
}

function drawKpis(data) {
  const total = data.total.invitations;
  const comparison = data.comparison;
  for (const key of ["due", "targeted", "reached", "booked", "arrived"]) {
    setKpi(key, total[key], integer.format(total[key]), comparison[key]);
  }
  const conversion = total.rates.conversion_rate.rate;
  setKpi("conversion_rate", conversion, rate(conversion), comparison.conversion_rate);
  setKpi("revenue", total.revenue.total, money(total.revenue.total), comparison.revenue_total || comparison.revenue);
  document.getElementById("kpi-range").textContent = `${data.from} – ${data.to}`;
}

function drawFunnel(data) {
  const total = data.total.invitations;
  const figure = document.getElementById("funnel-chart");
  const width = 520;
  const row = 40;
  const left = 130;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${STAGES.length * row + 10}`, role: "img", "aria-labelledby": "funnel-title" });
  const top = Math.max(1, total.targeted);
  STAGES.forEach((stage, index) => {
    const y = index * row + 5;
    const value = total[stage];
    const barWidth = Math.round(((width - left - 150) * value) / top);
    const group = svg("g", { "data-stage": stage });
    group.append(svg("text", { x: 0, y: y + 20 }, text.stages[stage]));
    group.append(svg("rect", { class: "bar", x: left, y, width: Math.max(barWidth, value ? 2 : 0), height: row - 12, rx: 3 }));
    const share = stage === "targeted" ? "" : ` (${rate(total.targeted ? value / total.targeted : null)})`;
    group.append(svg("text", { class: "bar-value", x: left + barWidth + 8, y: y + 20, "data-value": value }, `${integer.format(value)}${share}`));
    chart.append(group);
  });
  figure.replaceChildren(chart);
}

function drawTrend(data) {
  const figure = document.getElementById("trend-chart");
  const periods = data.periods;
  if (!periods.length) {
    figure.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: text.empty }));
    return;
  }
  const width = 600;
  const height = 240;
  const pad = { left: 44, right: 12, top: 28, bottom: 34 };
  const maximum = Math.max(1, ...periods.map((p) => p.invitations.targeted));
  const x = (i) => pad.left + (periods.length === 1 ? (width - pad.left - pad.right) / 2 : (i * (width - pad.left - pad.right)) / (periods.length - 1));
  const y = (v) => height - pad.bottom - (v * (height - pad.top - pad.bottom)) / maximum;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "trend-title" });
  chart.append(svg("line", { class: "axis", x1: pad.left, y1: y(0), x2: width - pad.right, y2: y(0) }));
  chart.append(svg("line", { class: "axis", x1: pad.left, y1: pad.top, x2: pad.left, y2: y(0) }));
  chart.append(svg("text", { x: 4, y: y(maximum) + 4 }, integer.format(maximum)));
  chart.append(svg("text", { x: 4, y: y(0) + 4 }, "0"));
  const step = Math.ceil(periods.length / 8);
  periods.forEach((p, i) => {
    if (i % step === 0) chart.append(svg("text", { x: x(i), y: height - 10, "text-anchor": "middle" }, p.period));
  });
  TREND.forEach((stage, s) => {
    const pointsAttr = periods.map((p, i) => `${x(i)},${y(p.invitations[stage])}`).join(" ");
    chart.append(svg("polyline", { class: `line series-${s}`, points: pointsAttr }));
    periods.forEach((p, i) => chart.append(svg("circle", { class: `series-${s}`, cx: x(i), cy: y(p.invitations[stage]), r: 3.5 })));
    const legend = svg("g", { class: "legend" });
    legend.append(svg("rect", { class: `series-${s}`, x: pad.left + s * 130, y: 6, width: 12, height: 12 }));
    legend.append(svg("text", { x: pad.left + s * 130 + 18, y: 16 }, text.stages[stage]));
    chart.append(legend);
  });
  figure.replaceChildren(chart);
}

function intervalChart(item, scale) {
  const width = 180;
  const at = (v) => width / 2 + (v / scale) * (width / 2 - 6);
  const chart = svg("svg", { viewBox: `0 0 ${width} 20`, "aria-hidden": "true" });
  chart.append(svg("line", { class: "zero", x1: width / 2, y1: 0, x2: width / 2, y2: 20 }));
  if (item.lower !== null && item.upper !== null) {
    chart.append(svg("line", { class: item.significant ? "span significant" : "span", x1: at(item.lower), y1: 10, x2: at(item.upper), y2: 10 }));
  }
  if (item.uplift !== null) chart.append(svg("circle", { class: "point", cx: at(item.uplift), cy: 10, r: 4 }));
  return chart;
}

function drawUplift(data) {
  const body = document.querySelector("#uplift-table tbody");
  body.replaceChildren();
  const scale = Math.max(0.05, ...data.uplift.flatMap((u) => [Math.abs(u.lower || 0), Math.abs(u.upper || 0)]));
  for (const item of data.uplift) {
    const row = body.insertRow();
    row.dataset.type = item.type;
    cell(row, text.types[item.type] || item.type);
    cell(row, `${rate(item.targeted.rate)} (${integer.format(item.targeted.successes)}/${integer.format(item.targeted.trials)})`, "num");
    cell(row, `${rate(item.control.rate)} (${integer.format(item.control.successes)}/${integer.format(item.control.trials)})`, "num");
    const interval = item.lower === null ? "" : ` (${points(item.lower)} … ${points(item.upper)})`;
    cell(row, `${points(item.uplift)}${interval}`, "num").dataset.significant = item.significant ? "yes" : "no";
    const plot = cell(row, "", "interval");
    plot.append(intervalChart(item, scale));
    plot.append(Object.assign(document.createElement("span"), { className: "visually-hidden", textContent: item.significant ? text.significant : text.not_significant }));
  }
  if (!data.uplift.length) {
    const row = body.insertRow();
    const td = cell(row, text.empty, "muted");
    td.colSpan = 5;
  }
}

function drawAgents(data) {
  const body = document.querySelector("#agents-table tbody");
  body.replaceChildren();
  const minutes = (s) => (s === null || s === undefined ? "–" : `${decimal.format(s / 60)} ${text.minutes}`);
  const line = (name, a) => {
    const row = body.insertRow();
    cell(row, name);
    for (const key of ["attempts", "contacts", "bookings", "arrived"]) cell(row, integer.format(a[key]), "num");
    cell(row, a.attempts_per_hour === null ? "–" : decimal.format(a.attempts_per_hour), "num");
    for (const key of ["reach_rate", "booking_rate", "show_rate"]) cell(row, rate(a[key].rate), "num");
    cell(row, minutes(a.average_handling_seconds), "num");
    return row;
  };
  for (const agent of data.agents) line(agent.agent, agent).dataset.agent = agent.agent_id;
  if (data.agents.length) line(text.team, data.team).className = "team";
  else cell(body.insertRow(), text.empty, "muted").colSpan = 10;
}

function ratio(figure) {
  if (!figure || figure.rate === null) return "–";
  return `${rate(figure.rate)} (${integer.format(figure.successes)}/${integer.format(figure.trials)})`;
}

function emptyRow(body, columns) {
  if (!body.rows.length) cell(body.insertRow(), text.empty, "muted").colSpan = columns;
}

function drawRetention(data) {
  const body = document.querySelector("#retention-table tbody");
  body.replaceChildren();
  for (const item of data.dealers) {
    const row = body.insertRow();
    row.dataset.dealer = item.dealer;
    cell(row, item.dealer);
    for (const key of ["orphan_share", "retention_12_months", "retention_24_months", "reactivation_rate"]) {
      cell(row, ratio(item[key]), "num");
    }
  }
  emptyRow(body, 5);
}

function drawRecalls(data) {
  const body = document.querySelector("#recalls-table tbody");
  body.replaceChildren();
  const completion = (item) => (item.completion_rate.rate === null ? 2 : item.completion_rate.rate);
  const worst = [...data.campaigns].sort((a, b) => completion(a) - completion(b)).slice(0, RECALL_ROWS);
  for (const item of worst) {
    const row = body.insertRow();
    cell(row, item.dealer);
    cell(row, item.title ? `${item.campaign} – ${item.title}` : item.campaign);
    cell(row, integer.format(item.open), "num");
    cell(row, integer.format(item.completed_here + item.completed_elsewhere), "num");
    cell(row, ratio(item.completion_rate), "num");
  }
  emptyRow(body, 5);
}

function fieldOf(error) {
  const match = /^(\w+):/.exec((error.body && error.body.detail) || "");
  return match ? match[1] : "";
}

async function load() {
  clearErrors(form);
  const params = filters();
  history.replaceState(null, "", `${location.pathname}?${params}`);
  const agentParams = new URLSearchParams(params);
  agentParams.delete("type");
  agentParams.delete("segment");
  agentParams.delete("grain");
  const retentionParams = new URLSearchParams(agentParams);
  agentParams.set("grain", params.get("grain") || "month");
  const recallParams = new URLSearchParams();
  if (params.get("dealer")) recallParams.set("dealer", params.get("dealer"));
  for (const [id, report, query, format] of [
    ["download-csv", "funnel", params, "csv"],
    ["download-xlsx", "funnel", params, "xlsx"],
    ["agents-csv", "agents", agentParams, "csv"],
    ["agents-xlsx", "agents", agentParams, "xlsx"],
    ["retention-csv", "retention", retentionParams, "csv"],
    ["retention-xlsx", "retention", retentionParams, "xlsx"],
    ["recalls-csv", "recalls", recallParams, "csv"],
    ["recalls-xlsx", "recalls", recallParams, "xlsx"],
  ]) {
    document.getElementById(id).href = `/api/v1/reports/${report}/export?${query}&format=${format}`;
  }
  status.textContent = text.loading;
  form.setAttribute("aria-busy", "true");
  try {
    const [funnel, agents, retention, recalls] = await Promise.all([
      api("GET", `/api/v1/reports/funnel?${params}`),
      api("GET", `/api/v1/reports/agents?${agentParams}`),
      api("GET", `/api/v1/reports/retention?${retentionParams}`),
      api("GET", `/api/v1/reports/recalls?${recallParams}`),
    ]);
    drawKpis(funnel);
    drawFunnel(funnel);
    drawTrend(funnel);
    drawUplift(funnel);
    drawAgents(agents);
    drawRetention(retention);
    drawRecalls(recalls);
    status.textContent = funnel.total.invitations.due ? "" : text.empty;
    document.body.dataset.loaded = params.toString();
  } catch (error) {
    status.textContent = "";
    const field = fieldOf(error);
    if (field && !(error.body && error.body.errors)) {
      clearErrors(form);
      showFieldError(form, field, error.message);
    } else {
      showErrors(form, error);
    }
  } finally {
    form.removeAttribute("aria-busy");
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
for (const name of ["grain", "dealer", "type", "segment"]) {
  form.elements[name].addEventListener("change", load);
}
load();
