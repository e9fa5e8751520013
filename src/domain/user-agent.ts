/**
 * A coarse reading of a User-Agent header for the session list: the device's operating system and the
 * client with its major version ("Linux" / "Chrome 156"). Good enough to recognise one's own sessions;
 * never used for any security decision.
 */

const DEVICES: [RegExp, string][] = [
  [/iPhone|iPad|iPod/, "iOS"],
  [/Android/, "Android"],
  [/CrOS/, "ChromeOS"],
  [/Windows/, "Windows"],
  [/Mac OS X|Macintosh/, "macOS"],
  [/Linux|X11/, "Linux"],
];

const CLIENTS: [RegExp, string][] = [
  [/Edg(?:e|A|iOS)?\/(\d+)/, "Edge"],
  [/OPR\/(\d+)/, "Opera"],
  [/Firefox\/(\d+)/, "Firefox"],
  [/FxiOS\/(\d+)/, "Firefox"],
  [/CriOS\/(\d+)/, "Chrome"],
  [/Chrome\/(\d+)/, "Chrome"],
  [/Version\/(\d+)[\d.]* .*Safari\//, "Safari"],
  [/curl\/(\d+)/, "curl"],
  [/node(?:-fetch)?\/?(\d+)?/i, "Node.js"],
];

export function parseUserAgent(ua: string | null): { device: string; client: string } {
  if (!ua) return { device: "Unknown", client: "Unknown" };
  const device = DEVICES.find(([re]) => re.test(ua))?.[1] ?? "Unknown";
  for (const [re, name] of CLIENTS) {
    const m = re.exec(ua);
    if (m) return { device, client: m[1] ? `${name} ${m[1]}` : name };
  }
  return { device, client: ua.split(/[\s/]/)[0]?.slice(0, 40) || "Unknown" };
}
