/**
 * IP addresses and CIDR ranges, IPv4 and IPv6, for conditions on where a session comes
 * from or what address a socket is bound to. An IPv4-mapped IPv6 address (::ffff:10.0.0.9)
 * is the IPv4 address it carries.
 */

export type Ip = { family: 4 | 6; bytes: Uint8Array };
export type Cidr = { family: 4 | 6; bytes: Uint8Array; bits: number };

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseV4(text: string): Uint8Array | undefined {
  const m = V4.exec(text);
  if (!m) return undefined;
  const bytes = m.slice(1).map(Number);
  if (bytes.some((b) => b > 255)) return undefined;
  return Uint8Array.from(bytes);
}

/** Up to eight 16-bit groups, given as hex; the last two may be written as an IPv4 address. */
function groupsOf(part: string): number[] | undefined {
  if (part === "") return [];
  const groups: number[] = [];
  const pieces = part.split(":");
  for (let k = 0; k < pieces.length; k++) {
    const piece = pieces[k] as string;
    if (k === pieces.length - 1 && piece.includes(".")) {
      const v4 = parseV4(piece);
      if (!v4) return undefined;
      groups.push(((v4[0] as number) << 8) | (v4[1] as number));
      groups.push(((v4[2] as number) << 8) | (v4[3] as number));
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(piece)) {
      groups.push(Number.parseInt(piece, 16));
    } else return undefined;
  }
  return groups;
}

function parseV6(text: string): Uint8Array | undefined {
  const halves = text.replace(/%.*$/, "").split("::");
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, k) => {
    bytes[2 * k] = g >> 8;
    bytes[2 * k + 1] = g & 0xff;
  });
  return bytes;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Parses an IPv4 or IPv6 address (a zone such as %eth0 is ignored); undefined if it is none. */
export function parseIp(text: string): Ip | undefined {
  const v4 = parseV4(text);
  if (v4) return { family: 4, bytes: v4 };
  if (!text.includes(":")) return undefined;
  const v6 = parseV6(text);
  if (!v6) return undefined;
  if (MAPPED_PREFIX.every((b, k) => v6[k] === b)) return { family: 4, bytes: v6.slice(12) };
  return { family: 6, bytes: v6 };
}

/** Parses `10.0.0.0/8`, `fd00::/8`, or a single address (a range of one). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const width = ip.family === 4 ? 32 : 128;
  if (slash < 0) return { ...ip, bits: width };
  const bitsText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return undefined;
  // A mapped address written with an IPv6 prefix length counts the 96 bits of its prefix.
  const given = Number(bitsText);
  const bits = ip.family === 4 && text.includes(":") ? given - 96 : given;
  if (bits < 0 || bits > width) return undefined;
  return { ...ip, bits };
}

/** Whether the range holds the address; an address of the other family is never in it. */
export function cidrContains(range: Cidr, ip: Ip): boolean {
  if (range.family !== ip.family) return false;
  const whole = range.bits >> 3;
  for (let k = 0; k < whole; k++) if (range.bytes[k] !== ip.bytes[k]) return false;
  const rest = range.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((range.bytes[whole] as number) & mask) === ((ip.bytes[whole] as number) & mask);
}
