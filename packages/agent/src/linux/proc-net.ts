/** The socket tables of /proc/net that list listening and bound sockets. */
export const SOCKET_TABLES = ["tcp", "tcp6", "udp", "udp6"] as const;
export type SocketProtocol = (typeof SOCKET_TABLES)[number];

/** TCP_LISTEN, and TCP_CLOSE, the state of a bound UDP socket with no peer (ss's UNCONN). */
const LISTENING_STATE: Readonly<Record<SocketProtocol, string>> = {
  tcp: "0A",
  tcp6: "0A",
  udp: "07",
  udp6: "07",
};

export interface ProcSocket {
  protocol: SocketProtocol;
  address: string;
  port: number;
  /** The socket's inode, which /proc/<pid>/fd links name as socket:[inode]. */
  inode: number;
}

/**
 * The kernel prints each 32-bit word of an address as a hex number in the host's byte
 * order, so on a little-endian host the bytes of each word come out reversed.
 */
function addressBytes(hex: string, littleEndian: boolean): number[] | undefined {
  if (hex.length % 8 !== 0 || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const group = [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(word + i, word + i + 2), 16));
    bytes.push(...(littleEndian ? group.reverse() : group));
  }
  return bytes;
}

/** The longest run of two or more zero groups, the first of equal runs (RFC 5952 4.2). */
function longestZeroRun(groups: readonly number[]): { at: number; length: number } {
  let best = { at: -1, length: 0 };
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { at: i, length: j - i };
    i = j;
  }
  return best;
}

/**
 * An IPv6 address in its canonical text form (RFC 5952): lower case, no leading zeros,
 * the longest run of zero groups as "::", and IPv4-mapped addresses as ::ffff:a.b.c.d.
 */
export function formatIPv6(bytes: readonly number[]): string {
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255;
  if (mapped) return `::ffff:${bytes.slice(12).join(".")}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  const zeros = longestZeroRun(groups);
  const text = (part: number[]) => part.map((g) => g.toString(16)).join(":");
  if (zeros.length === 0) return text(groups);
  return `${text(groups.slice(0, zeros.at))}::${text(groups.slice(zeros.at + zeros.length))}`;
}

/** A /proc/net address ("0100007F" or 32 hex digits) as text, or undefined when malformed. */
export function decodeProcAddress(hex: string, littleEndian: boolean): string | undefined {
  const bytes = addressBytes(hex, littleEndian);
  if (bytes?.length === 4) return bytes.join(".");
  if (bytes?.length === 16) return formatIPv6(bytes);
  return undefined;
}

function parseSocketLine(
  line: string,
  protocol: SocketProtocol,
  littleEndian: boolean,
): ProcSocket | undefined {
  // sl, local_address, rem_address, st, tx:rx queue, tr:when, retrnsmt, uid, timeout, inode
  const fields = line.trim().split(/\s+/);
  if (fields.length < 10 || fields[3] !== LISTENING_STATE[protocol]) return undefined;
  const [hexAddress, hexPort] = fields[1]!.split(":");
  const address = decodeProcAddress(hexAddress ?? "", littleEndian);
  const port = Number.parseInt(hexPort ?? "", 16);
  const inode = Number(fields[9]);
  if (address === undefined || !(port >= 0 && port <= 65_535) || !Number.isInteger(inode)) {
    return undefined;
  }
  return { protocol, address, port, inode };
}

/**
 * Parses one of /proc/net/{tcp,tcp6,udp,udp6} into its listening TCP sockets or bound,
 * unconnected UDP sockets (what `ss -tuln` lists), the header line skipped.
 */
export function parseProcNet(
  text: string,
  protocol: SocketProtocol,
  littleEndian: boolean,
): ProcSocket[] {
  const sockets: ProcSocket[] = [];
  for (const line of text.split("\n").slice(1)) {
    const socket = parseSocketLine(line, protocol, littleEndian);
    if (socket) sockets.push(socket);
  }
  return sockets;
}
