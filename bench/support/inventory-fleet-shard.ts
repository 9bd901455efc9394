// Builds one shard of the inventory fleet (a child process of buildInventoryFleet):
// <file> <first host> <end host> <shape as JSON>; prints what it took as JSON.
import { buildShard, type FleetShape } from "./inventory-fleet.ts";

const [file, from, to, shape] = process.argv.slice(2);
const times = await buildShard(
  file!,
  JSON.parse(shape!) as FleetShape,
  Number(from),
  Number(to),
  (line) => process.stderr.write(`${line}\n`),
);
process.stdout.write(`${JSON.stringify(times)}\n`);
