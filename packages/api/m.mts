import { readFileSync } from "node:fs";
import { deserialize, serialize } from "node:v8";
import {
  constants,
  deflateRawSync,
  inflateRawSync,
  zstdCompressSync,
  zstdDecompressSync,
} from "node:zlib";
import { reportDigestFrom } from "@compliance/contract/digest";
import { reportWithProcesses } from "./test/helpers/reports.ts";

const real = JSON.parse(readFileSync("/tmp/real.json", "utf8"));
const synth = reportWithProcesses(300, { identifier: "x" });
function t(name: string, f: () => unknown, n = 300) {
  for (let i = 0; i < 50; i++) f();
  const s = performance.now();
  for (let i = 0; i < n; i++) f();
  console.log(name, (((performance.now() - s) / n) * 1000).toFixed(0), "µs");
}
for (const [name, r] of [
  ["real", real],
  ["synth", synth],
] as const) {
  const json = JSON.stringify(r);
  console.log(name, "json", json.length);
  for (const level of [1, 3, 6]) {
    const c = deflateRawSync(json, { level });
    console.log(" deflate", level, c.length);
    t(" deflate" + level, () => deflateRawSync(json, { level }));
  }
  const c1 = deflateRawSync(json, { level: 1 });
  t(" inflate", () => inflateRawSync(c1));
  t(" stringify", () => JSON.stringify(r));
  t(" parse", () => JSON.parse(json));
  t(" inflate+parse", () => JSON.parse(inflateRawSync(c1).toString()));
  t(" texts", () => reportDigestFrom(r, undefined));
  const z = zstdCompressSync(json, { params: { [constants.ZSTD_c_compressionLevel]: 1 } });
  console.log(" zstd1", z.length);
  t(" zstd1", () => zstdCompressSync(json, { params: { [constants.ZSTD_c_compressionLevel]: 1 } }));
  t(" unzstd", () => zstdDecompressSync(z));
  const s = serialize(r);
  console.log(" v8", s.length);
  t(" v8ser", () => serialize(r));
  t(" v8deser", () => deserialize(s));
}
