// The dashboard: sign in with client credentials, pick a team, area and period, and draw the figures.
// Hidden cells (secret or suppressed) are drawn as grey bars and marked in the tables.
"use strict";

const state = { token: null };
const $ = (selector) => document.querySelector(selector);

function message(text, isError) {
  const element = $("#message");
  element.textContent = text;
  element.className = isError ? "error" : "";
}

async function api(path, options = {}) {
  const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  if (state.token) headers.Authorization = "Bearer " + state.token;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail || body.title || response.statusText);
  return body;
}

async function signIn(clientId, clientSecret) {
  const form = new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret });
  const body = await api("/v1/oauth/token", {
    method: "POST", body: form, headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  await ready(body.access_token);
}

async function ready(token) {
  state.token = token;
  $("#login").hidden = true;
  $("#selection").hidden = false;
  const teams = await api("/v1/teams?limit=100");
  const select = $("#selection select[name=teamId]");
  for (const team of teams.items) {
    const option = document.createElement("option");
    option.value = team.id;
    option.textContent = team.name;
    select.appendChild(option);
  }
  message("Kies een team, gebied en periode.");
}

function svgElement(name, attributes) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

function chart(cells) {
  const numeric = cells.filter((cell) => !cell.key.startsWith("share") && !cell.key.endsWith("mean_change") && cell.key !== "mean");
  const max = Math.max(1, ...numeric.map((cell) => cell.value || 0));
  const barHeight = 14, width = 320, labelWidth = 130;
  const svg = svgElement("svg", { width, height: numeric.length * (barHeight + 4), role: "img", class: "chart" });
  numeric.forEach((cell, index) => {
    const y = index * (barHeight + 4);
    const hidden = cell.value === null || cell.value === undefined;
    const length = hidden ? 8 : Math.max(1, ((width - labelWidth - 40) * cell.value) / max);
    const label = svgElement("text", { x: 0, y: y + barHeight - 3 });
    label.textContent = cell.label.slice(0, 24);
    const bar = svgElement("rect", {
      x: labelWidth, y, width: length, height: barHeight, class: hidden ? "hidden" : "bar", "data-key": cell.key,
      "data-value": hidden ? "" : String(cell.value),
    });
    const value = svgElement("text", { x: labelWidth + length + 4, y: y + barHeight - 3 });
    value.textContent = hidden ? (cell.status === "secret" ? "geheim" : "onderdrukt") : String(cell.value);
    svg.append(label, bar, value);
  });
  return svg;
}

function table(indicator) {
  const element = document.createElement("table");
  const rows = (indicator.total ? [indicator.total] : []).concat(indicator.cells);
  for (const cell of rows) {
    const row = element.insertRow();
    row.insertCell().textContent = cell.label;
    const value = row.insertCell();
    value.className = "value " + (cell.status === "published" ? "" : cell.status);
    value.textContent = cell.value === null || cell.value === undefined ? (cell.status === "secret" ? "geheim" : "onderdrukt") : String(cell.value);
    value.dataset.key = indicator.code + "/" + cell.key;
  }
  return element;
}

function render(figures) {
  const main = $("#figures");
  main.replaceChildren();
  for (const indicator of figures.indicators) {
    const section = document.createElement("section");
    section.className = "indicator";
    section.id = indicator.code;
    const title = document.createElement("h2");
    title.textContent = indicator.title;
    section.append(title, chart(indicator.cells), table(indicator));
    main.appendChild(section);
  }
  const selection = figures.selection;
  message(`Periode ${selection.startDate} tot en met ${selection.endDate}.`);
  document.body.dataset.loaded = "true";
}

$("#login").addEventListener("submit", (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  signIn(data.get("clientId"), data.get("clientSecret")).catch((error) => message(error.message, true));
});

$("#selection").addEventListener("submit", (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  const query = new URLSearchParams({ period: data.get("period") });
  if (data.get("teamId")) query.set("teamId", data.get("teamId"));
  if (data.get("areaCode")) query.set("areaCode", data.get("areaCode"));
  api("/v1/figures?" + query).then(render).catch((error) => message(error.message, true));
});

// A token and a selection may come in the fragment (never sent to the server): #token=…&period=2026
(async () => {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  if (!fragment.get("token")) return;
  try {
    await ready(fragment.get("token"));
    const form = $("#selection");
    for (const name of ["period", "areaCode", "teamId"]) {
      if (fragment.get(name)) form.elements[name].value = fragment.get(name);
    }
    if (fragment.get("period")) form.requestSubmit();
  } catch (error) {
    message(error.message, true);
  }
})();
