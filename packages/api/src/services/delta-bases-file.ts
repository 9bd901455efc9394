import {
  closeSync,
  constants,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writevSync,
} from "node:fs";
import type { DeltaBases } from "./delta-bases.ts";
import type { PackedBase } from "./packed-base.ts";

/**
 * The cache of delta bases across a restart: written packed when the API closes, read back
 * when it starts, so that a large fleet's next check-ins find their bases instead of each
 * rebuilding one from the database for a whole interval. Whatever is in the file is safe
 * to use: a base serves only a delta that names its report id, the digest of the report
 * the delta gives must match the agent's, and the store checks every span hint. The file
 * is removed once read: a process that stops without closing leaves none behind.
 *
 * Layout: "CDB1", the entry count (u32), then per entry its host id (u32), report id
 * (u8 length, then ASCII), packed report (u32 length, bytes) and packed spans (u32 length,
 * 0xffffffff for none, bytes). Little-endian.
 */
const MAGIC = "CDB1";
const NO_SPANS = 0xffff_ffff;
/** Buffers handed to one writev call (the kernel's limit is 1,024). */
const IOV = 1000;

/** Writes every base `bases` holds to `path` (through a temporary file); the count written. */
export function saveBases(bases: DeltaBases, path: string): number {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  let count = 0;
  try {
    const head = Buffer.alloc(8);
    head.write(MAGIC, 0, "latin1");
    let pending: Buffer[] = [head];
    const flush = () => {
      // writev may write less than asked: what is left goes again.
      let chunks = pending;
      while (chunks.length > 0) {
        let written = writevSync(fd, chunks);
        let i = 0;
        while (i < chunks.length && written >= chunks[i]!.length) written -= chunks[i++]!.length;
        chunks = chunks.slice(i);
        if (written > 0) chunks[0] = chunks[0]!.subarray(written);
      }
      pending = [];
    };
    for (const [hostId, reportId, packed] of bases.packedEntries()) {
      const id = Buffer.from(reportId, "latin1");
      const header = Buffer.alloc(9 + id.length);
      header.writeUInt32LE(hostId, 0);
      header.writeUInt8(id.length, 4);
      id.copy(header, 5);
      header.writeUInt32LE(packed.report.length, 5 + id.length);
      const spans = Buffer.alloc(4);
      spans.writeUInt32LE(packed.spans?.length ?? NO_SPANS, 0);
      pending.push(header, packed.report, spans);
      if (packed.spans) pending.push(packed.spans);
      count++;
      if (pending.length >= IOV - 4) flush();
    }
    flush();
    const total = Buffer.alloc(4);
    total.writeUInt32LE(count, 0);
    // The count goes in last, where the header left room for it.
    writevSync(fd, [total], 4);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  return count;
}

/**
 * Adds to `bases` what `path` holds, packed, as long as there is room, and removes the
 * file. The count added; 0 when there is no file or it is not one of these.
 */
export function loadBases(bases: DeltaBases, path: string): number {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch {
    return 0;
  }
  rmSync(path, { force: true });
  if (file.length < 8 || file.toString("latin1", 0, 4) !== MAGIC) return 0;
  const count = file.readUInt32LE(4);
  let at = 8;
  let added = 0;
  // Copies: a slice would keep the whole file in memory as long as any base is.
  const take = (length: number) => {
    if (at + length > file.length) throw new RangeError("truncated");
    const out = Buffer.allocUnsafeSlow(length);
    file.copy(out, 0, at, at + length);
    at += length;
    return out;
  };
  const readLength = () => {
    if (at + 4 > file.length) throw new RangeError("truncated");
    const n = file.readUInt32LE(at);
    at += 4;
    return n;
  };
  try {
    for (let i = 0; i < count; i++) {
      if (at + 5 > file.length) break;
      const hostId = file.readUInt32LE(at);
      const idLength = file.readUInt8(at + 4);
      at += 5;
      const reportId = take(idLength).toString("latin1");
      const report = take(readLength());
      const spansLength = readLength();
      const packed: PackedBase = {
        report,
        spans: spansLength === NO_SPANS ? undefined : take(spansLength),
      };
      if (!bases.addPacked(hostId, reportId, packed)) break;
      added++;
    }
  } catch (e) {
    // A truncated file gives what it holds whole.
    if (!(e instanceof RangeError)) throw e;
  }
  return added;
}
