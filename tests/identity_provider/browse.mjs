// Opens a page in headless Chromium over the DevTools protocol, follows it through every redirect (to the
// identity provider and back), and once the page says it has loaded (body[data-loaded=true]) prints its
// DOM and saves a screenshot. `--dump-dom` cannot be used here: its virtual time stalls on the round trip
// to another origin.
//
// node --experimental-websocket browse.mjs <chromium> <url> <screenshot.png> [seconds]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [chromium, url, screenshot, seconds = "60"] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), "wr-browse-"));
const browser = spawn(chromium, [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--remote-debugging-port=0", `--user-data-dir=${profile}`, "--window-size=1400,3000", "about:blank",
]);
const deadline = Date.now() + Number(seconds) * 1000;

function finish(code, text) {
  browser.kill();
  try { rmSync(profile, { recursive: true, force: true }); } catch { /* Chromium may still hold it */ }
  // Exit only once the text is written: a pipe takes it in pieces.
  process[code ? "stderr" : "stdout"].write(text || "", () => process.exit(code));
}
setTimeout(() => finish(1, "the page did not finish loading in time\n"), Number(seconds) * 1000).unref();

// Chromium prints the address of its DevTools endpoint on stderr.
const endpoint = await new Promise((resolve) => {
  let seen = "";
  browser.stderr.on("data", (chunk) => {
    seen += chunk;
    const found = seen.match(/DevTools listening on (ws:\/\/[^\s]+)/);
    if (found) resolve(found[1]);
  });
});
const port = new URL(endpoint).port;
const page = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()).find((t) => t.type === "page");
const socket = new WebSocket(page.webSocketDebuggerUrl);
let next = 0;
const waiting = new Map();
socket.onmessage = (message) => {
  const data = JSON.parse(message.data);
  if (data.id && waiting.has(data.id)) waiting.get(data.id)(data.result);
};
const call = (method, params = {}) =>
  new Promise((resolve) => {
    next += 1;
    waiting.set(next, resolve);
    socket.send(JSON.stringify({ id: next, method, params }));
  });
await new Promise((resolve) => (socket.onopen = resolve));
await call("Emulation.setDeviceMetricsOverride", { width: 1400, height: 3000, deviceScaleFactor: 1, mobile: false });
await call("Page.navigate", { url });
while (Date.now() < deadline) {
  const state = await call("Runtime.evaluate", {
    expression: "document.body ? document.body.dataset.loaded + '|' + location.href : ''",
    returnByValue: true,
  });
  if (state && state.result && String(state.result.value).startsWith("true|")) break;
  await new Promise((resolve) => setTimeout(resolve, 200));
}
const dom = await call("Runtime.evaluate", { expression: "document.documentElement.outerHTML", returnByValue: true });
const image = await call("Page.captureScreenshot", { format: "png" });
writeFileSync(screenshot, Buffer.from(image.data, "base64"));
finish(0, dom.result.value);
