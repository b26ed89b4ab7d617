// The dashboard: sign in as a person, choose a year or period and the areas or teams to compare, and see
// every indicator side by side, its trend over the months of the year, and download what is shown as CSV.
// The token is kept in memory only; the selection lives in the address (#period=2026-Q1&areas=GM0599,...).
"use strict";

const state = { token: null, teams: [], oidc: null, shown: null };
const $ = (selector) => document.querySelector(selector);
const MONTHS = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"];
const HIDDEN = { secret: "geheim", suppressed: "te weinig" };

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
  if (!response.ok) {
    const field = body.invalidParams && body.invalidParams[0] ? ` (${body.invalidParams[0].reason})` : "";
    throw new Error((body.detail || body.title || response.statusText) + field);
  }
  return body;
}

// --- signing in ------------------------------------------------------------------------------------

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function discovery(issuer) {
  const response = await fetch(issuer.replace(/\/$/, "") + "/.well-known/openid-configuration");
  if (!response.ok) throw new Error("De inlogdienst van de gemeente antwoordt niet.");
  return response.json();
}

async function signInWithProvider() {
  const provider = await discovery(state.oidc.issuer);
  const verifier = randomText();
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const returnState = randomText();
  sessionStorage.setItem("wr-pkce", JSON.stringify({ verifier, state: returnState, hash: location.hash }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: state.oidc.clientId,
    redirect_uri: location.origin + location.pathname,
    scope: state.oidc.scope,
    state: returnState,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  location.assign(provider.authorization_endpoint + "?" + query);
}

async function returnFromProvider(query) {
  const pending = JSON.parse(sessionStorage.getItem("wr-pkce") || "null");
  sessionStorage.removeItem("wr-pkce");
  history.replaceState(null, "", location.pathname + (pending ? pending.hash : ""));
  if (!pending || pending.state !== query.get("state")) throw new Error("Inloggen is niet gelukt; probeer het opnieuw.");
  if (query.get("error")) throw new Error("De inlogdienst weigerde: " + query.get("error"));
  const provider = await discovery(state.oidc.issuer);
  const form = new URLSearchParams({
    grant_type: "authorization_code",
    code: query.get("code"),
    redirect_uri: location.origin + location.pathname,
    client_id: state.oidc.clientId,
    code_verifier: pending.verifier,
  });
  const response = await fetch(provider.token_endpoint, {
    method: "POST", body: form, headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  const body = await response.json();
  if (!response.ok || !body.access_token) throw new Error("De inlogdienst gaf geen toegang.");
  return body.access_token;
}

async function signInForDevelopment() {
  const body = await api("/dashboard/development-login", { method: "POST" });
  return body.access_token;
}

async function signedIn(token) {
  state.token = token;
  $("#login").hidden = true;
  $("#signed-in").hidden = false;
  $("#selection").hidden = false;
  state.teams = (await api("/v1/teams?limit=100")).items;
  const list = $("#teams");
  list.replaceChildren();
  for (const team of state.teams) {
    const label = document.createElement("label");
    const box = Object.assign(document.createElement("input"), { type: "checkbox", name: "team", value: team.id });
    label.append(box, " " + team.name);
    list.appendChild(label);
  }
  fillYears();
  const fragment = new URLSearchParams(location.hash.slice(1));
  const form = $("#selection");
  if (fragment.get("year")) form.elements.year.value = fragment.get("year");
  fillPeriods();
  if (fragment.get("period")) form.elements.period.value = fragment.get("period");
  if (fragment.get("areas")) form.elements.areas.value = fragment.get("areas");
  for (const id of (fragment.get("teams") || "").split(",")) {
    const box = form.querySelector(`input[name=team][value="${CSS.escape(id)}"]`);
    if (box) box.checked = true;
  }
  if (fragment.get("year")) form.requestSubmit();
  else message("Kies een jaar of periode en wat u wilt vergelijken.");
}

function signOut() {
  state.token = null;
  location.hash = "";
  location.reload();
}

// --- the selection ---------------------------------------------------------------------------------

const today = new Date();
const endedMonths = today.getFullYear() * 12 + today.getMonth(); // months before the current one

function ended(year, lastMonthIndex) {
  return year * 12 + lastMonthIndex < endedMonths;
}

function fillYears() {
  const select = $("#selection select[name=year]");
  select.replaceChildren();
  const latest = ended(today.getFullYear(), 0) ? today.getFullYear() : today.getFullYear() - 1;
  for (let year = latest; year > latest - 6; year -= 1) select.add(new Option(String(year), String(year)));
}

function fillPeriods() {
  const year = Number($("#selection select[name=year]").value);
  const select = $("#selection select[name=period]");
  const previous = select.value;
  select.replaceChildren();
  if (ended(year, 11)) select.add(new Option(`Heel ${year}`, String(year)));
  for (let quarter = 1; quarter <= 4; quarter += 1) {
    if (ended(year, quarter * 3 - 1)) select.add(new Option(`${quarter}e kwartaal`, `${year}-Q${quarter}`));
  }
  for (let month = 0; month < 12; month += 1) {
    if (ended(year, month)) select.add(new Option(`${MONTHS[month]} ${year}`, `${year}-${String(month + 1).padStart(2, "0")}`));
  }
  if ([...select.options].some((o) => o.value === previous)) select.value = previous;
}

function selections(form) {
  const chosen = [];
  for (const box of form.querySelectorAll("input[name=team]:checked")) {
    const team = state.teams.find((t) => t.id === box.value);
    chosen.push({ name: team ? team.name : box.value, query: { teamId: box.value } });
  }
  for (const code of form.elements.areas.value.split(/[\s,;]+/).filter(Boolean)) {
    chosen.push({ name: code.toUpperCase(), query: { areaCode: code.toUpperCase() } });
  }
  if (!chosen.length) chosen.push({ name: "Hele gemeente", query: {} });
  return chosen;
}

async function figuresFor(selection, period) {
  return api("/v1/figures?" + new URLSearchParams(Object.assign({ period }, selection.query)));
}

// --- drawing ---------------------------------------------------------------------------------------

function shown(cell) {
  if (cell.value === null || cell.value === undefined) return HIDDEN[cell.status] || "—";
  return String(cell.value).replace(".", ",");
}

function cellsOf(indicator) {
  return (indicator.total ? [indicator.total] : []).concat(indicator.cells);
}

function comparison(indicator, columns) {
  const table = document.createElement("table");
  table.createCaption().textContent = "Vergelijking";
  const head = table.createTHead().insertRow();
  head.appendChild(Object.assign(document.createElement("th"), { textContent: "", scope: "col" }));
  for (const column of columns) head.appendChild(Object.assign(document.createElement("th"), { textContent: column.name, scope: "col" }));
  const body = table.createTBody();
  cellsOf(indicator).forEach((cell, row) => {
    const line = body.insertRow();
    line.appendChild(Object.assign(document.createElement("th"), { textContent: cell.label, scope: "row" }));
    columns.forEach((column, index) => {
      const other = cellsOf(column.figures.indicators.find((i) => i.code === indicator.code))[row];
      const value = line.insertCell();
      value.className = "value " + (other.status === "published" ? "" : other.status);
      value.textContent = shown(other);
      value.dataset.key = `${index}/${indicator.code}/${other.key}`;
      value.dataset.value = other.value === null || other.value === undefined ? "" : String(other.value);
    });
  });
  return table;
}

function svgElement(name, attributes) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

function trend(indicator, months) {
  const wrapper = document.createElement("div");
  wrapper.className = "trend";
  const line = cellsOf(indicator)[0];
  const values = months.map((m) => {
    const found = m.figures.indicators.find((i) => i.code === indicator.code);
    return cellsOf(found)[0].value;
  });
  const max = Math.max(1, ...values.map((v) => v || 0));
  const width = 12 * 22, height = 60;
  const svg = svgElement("svg", {
    width, height: height + 14, role: "img", "aria-label": `Verloop per maand: ${line.label}`, class: "chart",
  });
  months.forEach((m, index) => {
    const value = values[index];
    const bar = value === null || value === undefined ? 4 : Math.max(1, (height * value) / max);
    svg.appendChild(svgElement("rect", {
      x: index * 22 + 2, y: height - bar, width: 16, height: bar, class: value === null || value === undefined ? "hidden" : "bar",
    }));
    const label = svgElement("text", { x: index * 22 + 2, y: height + 12 });
    label.textContent = MONTHS[m.month];
    svg.appendChild(label);
  });
  const table = document.createElement("table");
  table.createCaption().textContent = `Per maand (${months.length ? months[0].name : ""})`;
  const head = table.createTHead().insertRow();
  head.appendChild(Object.assign(document.createElement("th"), { scope: "col" }));
  for (const m of months) head.appendChild(Object.assign(document.createElement("th"), { textContent: MONTHS[m.month], scope: "col" }));
  const body = table.createTBody();
  cellsOf(indicator).forEach((cell, row) => {
    const tr = body.insertRow();
    tr.appendChild(Object.assign(document.createElement("th"), { textContent: cell.label, scope: "row" }));
    for (const m of months) {
      const found = cellsOf(m.figures.indicators.find((i) => i.code === indicator.code))[row];
      const td = tr.insertCell();
      td.className = "value " + (found.status === "published" ? "" : found.status);
      td.textContent = shown(found);
      td.dataset.key = `trend/${m.period}/${indicator.code}/${found.key}`;
    }
  });
  wrapper.append(svg, table);
  return wrapper;
}

function csv(columns, months) {
  const rows = [["kolom", "periode", "stand", "indicator", "sleutel", "omschrijving", "waarde", "status"]];
  const add = (name, figures) => {
    for (const indicator of figures.indicators) {
      for (const cell of cellsOf(indicator)) {
        const value = cell.value === null || cell.value === undefined ? "." : String(cell.value).replace(".", ",");
        rows.push([name, figures.selection.period, figures.selection.asOf, indicator.code, cell.key, cell.label, value, cell.status]);
      }
    }
  };
  for (const column of columns) add(column.name, column.figures);
  for (const m of months) add(m.name, m.figures);
  const quote = (field) => (/[;"\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field);
  return "\ufeff" + rows.map((r) => r.map((f) => quote(String(f ?? ""))).join(";")).join("\r\n") + "\r\n";
}

function render(columns, months, period) {
  const main = $("#figures");
  main.replaceChildren();
  const first = columns[0].figures;
  for (const indicator of first.indicators) {
    const section = document.createElement("section");
    section.className = "indicator";
    section.id = indicator.code;
    section.setAttribute("aria-labelledby", indicator.code + "-title");
    const title = Object.assign(document.createElement("h2"), { textContent: indicator.title, id: indicator.code + "-title" });
    section.append(title, comparison(indicator, columns));
    if (months.length) section.appendChild(trend(indicator, months));
    main.appendChild(section);
  }
  const rules = first.disclosure;
  const asOf = new Date(first.selection.asOf).toLocaleString("nl-NL", { dateStyle: "long", timeStyle: "short" });
  $("#as-of").textContent = `Periode ${first.selection.startDate} tot en met ${first.selection.endDate}; `
    + `stand van ${asOf}. Cijfers van een afgelopen periode liggen vast: ze veranderen daarna niet meer.`;
  $("#method").textContent = `Elk getal heeft een kleine, vaste ruis (ten hoogste ${rules.maxNoise}), zodat geen `
    + `huishouden terug te rekenen is: hetzelfde getal is overal gelijk, maar aantallen van 1 tot en met `
    + `${rules.notPublishedUpTo} komen niet voor. Signalen over gezondheid, middelengebruik, justitie en huiselijke `
    + `relaties tonen we pas vanaf ${rules.sensitiveMinimum} ("geheim"); aandelen en gemiddelden pas vanaf `
    + `${rules.minRateDenominator} ("te weinig").`;
  const link = $("#download");
  link.href = "data:text/csv;charset=utf-8," + encodeURIComponent(csv(columns, months));
  link.download = `wijkteams-${period}.csv`;
  link.hidden = false;
  message(`${columns.length} ${columns.length === 1 ? "selectie" : "selecties"}, ${months.length} maanden in het verloop.`);
  document.body.dataset.loaded = "true";
}

async function show(form) {
  const period = form.elements.period.value;
  const year = Number(form.elements.year.value);
  const chosen = selections(form);
  message("Bezig met laden…");
  document.body.dataset.loaded = "false";
  const columns = await Promise.all(chosen.map(async (s) => Object.assign({}, s, { figures: await figuresFor(s, period) })));
  const months = [];
  for (let month = 0; month < 12; month += 1) {
    if (!ended(year, month)) break;
    const monthPeriod = `${year}-${String(month + 1).padStart(2, "0")}`;
    months.push({ month, period: monthPeriod, name: chosen[0].name, figures: await figuresFor(chosen[0], monthPeriod) });
  }
  const teams = chosen.filter((s) => s.query.teamId).map((s) => s.query.teamId).join(",");
  const areas = chosen.filter((s) => s.query.areaCode).map((s) => s.query.areaCode).join(",");
  history.replaceState(null, "", "#" + new URLSearchParams({ year, period, teams, areas }));
  render(columns, months, period);
}

// --- wiring ----------------------------------------------------------------------------------------

$("#selection select[name=year]").addEventListener("change", fillPeriods);
$("#selection").addEventListener("submit", (event) => {
  event.preventDefault();
  show(event.target).catch((error) => message(error.message, true));
});
$("#sign-in-provider").addEventListener("click", () => signInWithProvider().catch((e) => message(e.message, true)));
$("#sign-in-development").addEventListener("click", () => signInForDevelopment().then(signedIn).catch((e) => message(e.message, true)));
$("#sign-out").addEventListener("click", signOut);

(async () => {
  try {
    const config = await api("/dashboard/config.json");
    state.oidc = config.oidc;
    $("#sign-in-provider").hidden = !config.oidc;
    $("#sign-in-development").hidden = !config.development;
    if (!config.oidc && !config.development) message("Inloggen is hier niet ingesteld; vraag de beheerder.", true);
    const query = new URLSearchParams(location.search);
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (config.oidc && (query.get("code") || query.get("error"))) {
      await signedIn(await returnFromProvider(query));
    } else if (config.oidc && fragment.get("login") === "provider") {
      await signInWithProvider(); // a bookmark that signs in straight away
    } else if (config.development && fragment.get("login") === "development") {
      await signedIn(await signInForDevelopment());
    }
  } catch (error) {
    message(error.message, true);
  }
})();
