/**
 * CIDR ranges for network allow-lists: parsed, validated and normalised once (host bits cleared, IPv6 in its
 * RFC 5952 text form, a bare address as a /32 or /128, an IPv4-mapped IPv6 range as its IPv4 range), and a
 * containment test over 16-bit groups, so IPv4 and IPv6 share one comparison. Pure: no bindings, no I/O.
 */
import { ipv4, ipv6Groups } from "./request-source";

/** A parsed range: its family, its address as 16-bit groups (2 for IPv4, 8 for IPv6) and its prefix length. */
export interface Cidr {
  family: 4 | 6;
  groups: number[];
  prefix: number;
}

/** A client address as 16-bit groups; an IPv4-mapped IPv6 address is IPv4. */
export interface IpAddress {
  family: 4 | 6;
  groups: number[];
}

/** Parses a client address (CF-Connecting-IP); null when it is not an IPv4 or IPv6 address. */
export function parseAddress(text: string): IpAddress | null {
  const trimmed = text.trim();
  const v4 = ipv4(trimmed);
  if (v4) {
    const [a, b, c, d] = v4.split(".").map(Number) as [number, number, number, number];
    return { family: 4, groups: [(a << 8) | b, (c << 8) | d] };
  }
  if (trimmed.includes("%") || trimmed.startsWith("[")) return null;
  const groups = ipv6Groups(trimmed);
  if (!groups) return null;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return { family: 4, groups: groups.slice(6) };
  return { family: 6, groups };
}

function masked(groups: number[], prefix: number): number[] {
  return groups.map((g, i) => {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
}

/** Parses and normalises a CIDR range; a bare address is a single host. Null when it is not a valid range. */
export function parseCidr(text: string): Cidr | null {
  const [address, prefixText, extra] = text.trim().split("/");
  if (address === undefined || extra !== undefined) return null;
  const parsed = parseAddress(address);
  if (!parsed) return null;
  const mappedV4 = parsed.family === 4 && address.includes(":");
  const width = parsed.family === 4 ? 32 : 128;
  let prefix = width;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return null;
    prefix = Number(prefixText) - (mappedV4 ? 96 : 0);
    if (prefix < 0 || prefix > width) return null;
  }
  return { family: parsed.family, groups: masked(parsed.groups, prefix), prefix };
}

/** RFC 5952 text of eight groups: lowercase, no leading zeros, the longest run of two or more zeros as `::`. */
function ipv6Text(groups: number[]): string {
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.length).join(":")}`;
}

/** The normalised text of a range: `a.b.c.d/n` or `<RFC 5952 address>/n`. */
export function formatCidr(cidr: Cidr): string {
  const address = cidr.family === 4 ? cidr.groups.flatMap((g) => [g >> 8, g & 255]).join(".") : ipv6Text(cidr.groups);
  return `${address}/${cidr.prefix}`;
}

/** True when `address` lies inside `cidr` (same family, same leading `prefix` bits). */
export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  if (cidr.family !== address.family) return false;
  const theirs = masked(address.groups, cidr.prefix);
  return theirs.every((g, i) => g === cidr.groups[i]);
}

/**
 * Normalises a list of ranges: each parsed and re-printed, duplicates dropped, order kept. Returns the
 * entries that are not valid ranges instead when there are any (their positions, never their text).
 */
export function normaliseCidrs(list: readonly string[]): { ok: true; cidrs: string[] } | { ok: false; bad: number[] } {
  const bad: number[] = [];
  const out = new Set<string>();
  list.forEach((text, i) => {
    const cidr = parseCidr(text);
    if (cidr) out.add(formatCidr(cidr));
    else bad.push(i);
  });
  return bad.length > 0 ? { ok: false, bad } : { ok: true, cidrs: [...out] };
}
