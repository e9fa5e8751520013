/**
 * DOM helpers for the console. Everything is built with createElement and text nodes: no HTML strings,
 * so a label such as `<img src=x onerror=alert(1)>` can only ever appear as text. The CSP's Trusted Types
 * rule backs this up by making the browser refuse innerHTML outright.
 */

/**
 * Builds an element. `attrs`: `class`, `for`, `text`, `on<event>` handlers, booleans (true sets, false omits),
 * anything else as an attribute. Children: nodes, strings (as text), numbers, arrays; null/false are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === "text") el.textContent = String(value);
    else if (key === "value" && "value" in el) el.value = String(value);
    else if (key === "checked" || key === "selected" || key === "disabled") el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children (nodes, text, arrays) to a parent. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces all children of an element. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

const UNITS = [
  ["year", 365 * 86_400],
  ["month", 30 * 86_400],
  ["day", 86_400],
  ["hour", 3_600],
  ["minute", 60],
];
const shortUnit = { year: "yr", month: "mo", day: "day", hour: "hr", minute: "min" };

/** "3 min ago", "in 2 days", "just now". */
export function relative(iso, nowMs = Date.now()) {
  const diff = Math.round((Date.parse(iso) - nowMs) / 1000);
  const abs = Math.abs(diff);
  if (abs < 45) return diff > 0 ? "in a few seconds" : "just now";
  for (const [unit, seconds] of UNITS) {
    if (abs >= seconds || unit === "minute") {
      const n = Math.max(1, Math.round(abs / seconds));
      const label = unit === "day" ? `${n} day${n === 1 ? "" : "s"}` : `${n} ${shortUnit[unit]}`;
      return diff > 0 ? `in ${label}` : `${label} ago`;
    }
  }
  return iso;
}

/** A <time> element with relative text and the exact ISO time on hover; `fallback` when iso is empty. */
export function time(iso, fallback = "Never") {
  if (!iso) return h("span", { class: "muted" }, fallback);
  return h("time", { datetime: iso, title: iso, "data-relative": "" }, relative(iso));
}

/** Refreshes every relative time on the page (called on a timer). */
export function refreshTimes(root = document) {
  for (const el of root.querySelectorAll("time[data-relative]")) el.textContent = relative(el.getAttribute("datetime"));
}

/** "09:41" countdown text for a number of seconds. */
export function mmss(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

let idCounter = 0;
/** A unique id for label/for and aria-describedby pairs. */
export function uid(prefix = "f") {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}
