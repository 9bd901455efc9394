import { constants, zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { DELTA_LISTS, type DeltaListName, type Report } from "@compliance/contract";
import type { ListTexts, ReportTexts } from "@compliance/contract/digest";
import type { LatestSpans } from "../store/store.ts";

/**
 * A host's latest acknowledged report, the texts of its lists once a digest wrote them, and
 * the spans open at its execution when it was stored as the host's newest: what a delta is
 * applied to (DeltaBases keeps them).
 */
export interface Base {
  report: Report;
  texts: ReportTexts | undefined;
  spans?: LatestSpans | undefined;
}

/**
 * A delta base in a few KB: the report's text compressed, its lists one item a line (as
 * their canonical texts when the digest had written them, so the next digest reuses them
 * as it would a kept base's), and the spans open at its execution compressed apart (a whole
 * report needs only those). A 300-process report whose objects take ~185 KB packs into
 * 5–15 KB (measured: 59 KB of synthetic JSON into 5 KB, a real 92 KB report with 889
 * packages into 15 KB); unpacking costs about 0.5 ms, against several ms for rebuilding
 * it from the database and reading every open span around the next execution.
 */
export interface PackedBase {
  report: Buffer;
  spans: Buffer | undefined;
}

/** zstd at its fastest: 0.2 ms for a 300-process report, 3× deflate's speed at its size. */
const LEVEL = { params: { [constants.ZSTD_c_compressionLevel]: 1 } };

/** The first line: which lists follow, how many items each, and whether as their canonical texts. */
interface Header {
  texted: boolean;
  lists: [DeltaListName, number][];
}

export function packBase({ report, texts, spans }: Base): PackedBase {
  const rest: Record<string, unknown> = { ...report };
  const present = DELTA_LISTS.filter((name) => report[name] !== undefined);
  for (const name of present) delete rest[name];
  // Texts for every list or for none: a canonical text and a plain one must not be mixed.
  const texted = present.every((name) => texts?.[name]?.list === report[name]);
  const header: Header = { texted, lists: present.map((name) => [name, report[name]!.length]) };
  const lines: string[] = [];
  for (const name of present) {
    lines.push(
      ...(texted ? texts![name]!.items : report[name]!.map((item) => JSON.stringify(item))),
    );
  }
  // JSON never holds a raw line break, so one item is one line.
  const text = `${JSON.stringify(header)}\n${JSON.stringify(rest)}\n${lines.join("\n")}`;
  return {
    report: compressed(text),
    spans: spans ? compressed(JSON.stringify(spans)) : undefined,
  };
}

/**
 * `text` compressed, in a buffer of its own size: zstd's output is a view of the buffer it
 * wrote into, at least 64 KB, which it would keep alive (measured: 8,600 packed bases held
 * 540 MB that way instead of 51).
 */
function compressed(text: string): Buffer {
  const out = zstdCompressSync(text, LEVEL);
  // Buffer.from(out) keeps the 64 KB too (Node 24); a slow buffer is exactly its size.
  const own = Buffer.allocUnsafeSlow(out.length);
  out.copy(own);
  return own;
}

export function unpackBase(packed: PackedBase): Base {
  const lines = zstdDecompressSync(packed.report).toString("utf8").split("\n");
  const header = JSON.parse(lines[0]!) as Header;
  const report = JSON.parse(lines[1]!) as Record<string, unknown>;
  const texts: ReportTexts = {};
  let at = 2;
  for (const [name, count] of header.lists) {
    const items = lines.slice(at, at + count);
    at += count;
    const list = JSON.parse(`[${items.join(",")}]`) as unknown[];
    report[name] = list;
    if (header.texted) texts[name] = { list, items } satisfies ListTexts;
  }
  return {
    report: report as unknown as Report,
    texts: header.texted ? texts : undefined,
    spans: unpackSpans(packed),
  };
}

export function unpackSpans(packed: PackedBase): LatestSpans | undefined {
  return (
    packed.spans && (JSON.parse(zstdDecompressSync(packed.spans).toString("utf8")) as LatestSpans)
  );
}

/** What a packed base takes in memory: its bytes, and the objects and buffers that hold them. */
export function packedBytes(packed: PackedBase): number {
  return 400 + packed.report.length + (packed.spans?.length ?? 0);
}
