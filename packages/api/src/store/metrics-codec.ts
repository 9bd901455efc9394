import { deflateRawSync, inflateRawSync } from "node:zlib";

/**
 * The per-execution column of an execution: the values that change at every check-in
 * (each process's CPU % and RSS) and the order the agent sent its lists in.
 *
 * Each value is written as a difference from its process span's baseline, in the coarsest
 * exact unit (0.01 % of CPU, KiB of RSS), as a variable-length integer; then the whole is
 * deflated. An idle process costs two zero bytes before compression, so a quiet host's 300
 * processes cost a few dozen bytes per check-in. Values that do not fit those units (e.g.
 * a CPU % with more than two decimals) are stored as raw doubles: decoding is always exact.
 */

export interface MetricsInput {
  /** One entry per process, in canonical (pid) order. */
  values: { cpu: number; rss: number; baseCpu: number; baseRss: number }[];
  /** sentOrder[i] = canonical index of the i-th process as sent; null when already canonical. */
  processOrder: number[] | null;
  sessionOrder: number[] | null;
}

export interface MetricsOutput {
  cpu: number[];
  rss: number[];
  processOrder: number[] | null;
  sessionOrder: number[] | null;
}

const TAG_UNIT = 0; // difference in the coarse unit
const TAG_EXACT = 1; // difference in the fine unit
const TAG_RAW = 2; // raw double follows
const LIMIT = 2 ** 50;

class Writer {
  private buf = Buffer.allocUnsafe(1024);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  uint(v: number): void {
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.length++] = v;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.length);
    this.length += 8;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  uint(): number {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = this.buf[this.at++];
      if (b === undefined) throw new Error("metrics column is truncated");
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 0x80;
    }
  }

  double(): number {
    const v = this.buf.readDoubleLE(this.at);
    this.at += 8;
    return v;
  }
}

const zigzag = (v: number) => (v < 0 ? -2 * v - 1 : 2 * v);
const unzigzag = (v: number) => (v % 2 === 1 ? -(v + 1) / 2 : v / 2);

/** Writes value as a difference from base; unit = how many fine units make a coarse one. */
function writeValue(w: Writer, value: number, base: number, scale: number, unit: number): void {
  const fine = Math.round(value * scale);
  const fineBase = Math.round(base * scale);
  if (fine / scale === value && Number.isSafeInteger(fine)) {
    const d = fine - fineBase;
    if (Math.abs(d) < LIMIT) {
      if (d % unit === 0) w.uint(zigzag(d / unit) * 4 + TAG_UNIT);
      else w.uint(zigzag(d) * 4 + TAG_EXACT);
      return;
    }
  }
  w.uint(TAG_RAW);
  w.double(value);
}

function readValue(r: Reader, base: number, scale: number, unit: number): number {
  const head = r.uint();
  const tag = head % 4;
  if (tag === TAG_RAW) return r.double();
  const d = unzigzag(Math.floor(head / 4)) * (tag === TAG_UNIT ? unit : 1);
  return (Math.round(base * scale) + d) / scale;
}

// CPU %: fine unit 0.01 (scale 100), coarse unit the same. RSS: fine unit 1 byte, coarse 1 KiB.
const CPU = { scale: 100, unit: 1 };
const RSS = { scale: 1, unit: 1024 };

function writeOrder(w: Writer, order: number[] | null): void {
  if (!order) return;
  w.uint(order.length);
  for (const i of order) w.uint(i);
}

function readOrder(r: Reader, present: boolean): number[] | null {
  if (!present) return null;
  const n = r.uint();
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = r.uint();
  return order;
}

export function encodeMetrics(input: MetricsInput): Buffer {
  const w = new Writer();
  w.uint((input.processOrder ? 1 : 0) | (input.sessionOrder ? 2 : 0));
  w.uint(input.values.length);
  for (const v of input.values) {
    writeValue(w, v.cpu, v.baseCpu, CPU.scale, CPU.unit);
    writeValue(w, v.rss, v.baseRss, RSS.scale, RSS.unit);
  }
  writeOrder(w, input.processOrder);
  writeOrder(w, input.sessionOrder);
  return deflateRawSync(w.bytes());
}

export function decodeMetrics(
  blob: Uint8Array,
  bases: readonly { baseCpu: number; baseRss: number }[],
): MetricsOutput {
  const r = new Reader(inflateRawSync(blob));
  const flags = r.uint();
  const n = r.uint();
  if (n !== bases.length) {
    throw new Error(`metrics column holds ${n} processes, the spans ${bases.length}`);
  }
  const cpu = new Array<number>(n);
  const rss = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const b = bases[i]!;
    cpu[i] = readValue(r, b.baseCpu, CPU.scale, CPU.unit);
    rss[i] = readValue(r, b.baseRss, RSS.scale, RSS.unit);
  }
  const processOrder = readOrder(r, (flags & 1) !== 0);
  const sessionOrder = readOrder(r, (flags & 2) !== 0);
  return { cpu, rss, processOrder, sessionOrder };
}

/**
 * The permutation from sent order to canonical order, or null when the list was sent in
 * canonical order already (the usual case: it costs nothing then).
 */
export function orderOf<T>(sent: readonly T[], compare: (a: T, b: T) => number): number[] | null {
  const idx = sent.map((_, i) => i).sort((a, b) => compare(sent[a]!, sent[b]!));
  // idx[k] = sent position of the k-th canonical item; we need sent -> canonical.
  const order = new Array<number>(sent.length);
  let identity = true;
  idx.forEach((sentPos, canonical) => {
    order[sentPos] = canonical;
    if (sentPos !== canonical) identity = false;
  });
  return identity ? null : order;
}
