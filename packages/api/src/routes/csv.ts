import type { InventoryRow } from "@compliance/contract";
import type { FastifyReply } from "fastify";

/** A plain number, as a spreadsheet reads one: `-1`, `+2.5`, `-3e4`. */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** What turns a leading sign into a formula that computes or calls something. */
const FORMULA_CHARACTERS = /[=+()!|@&;"'*^%<>]/;

/**
 * Whether a spreadsheet would run a text cell as a formula. A cell starting with =, @, a
 * tab or a carriage return always would. One starting with + or - would too, but login
 * shells are really named `-bash` and numbers are negative: such a cell is guarded only
 * when it is not a plain number and holds a character a formula needs to do anything
 * (an operator, a parenthesis, `!`, `|`, a quote...), as in `-2+3+cmd|' /C calc'!A0`.
 */
export function runsAsFormula(s: string): boolean {
  if (/^[=@\t\r]/.test(s)) return true;
  if (!/^[+-]/.test(s)) return false;
  return !PLAIN_NUMBER.test(s) && FORMULA_CHARACTERS.test(s.slice(1));
}

/**
 * One CSV document: a header line, then the rows; RFC 4180 quoting. A text cell that a
 * spreadsheet would run as a formula (runsAsFormula) gets a leading quote mark, which
 * spreadsheets show as text and do not display.
 */
export function toCsv(columns: readonly string[], rows: InventoryRow[]): string {
  const cell = (v: string | number | null | undefined) => {
    if (v === null || v === undefined) return "";
    let s = String(v);
    if (typeof v === "string" && runsAsFormula(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [columns.join(",")];
  for (const r of rows) lines.push(columns.map((c) => cell(r[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** Whether a list is asked for as CSV: `format=csv`, or no `format` and `Accept: text/csv`. */
export function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  return format === "csv" || (format === undefined && /text\/csv/.test(accept ?? ""));
}

/** Answers rows as a CSV attachment named `name`.csv, with the count of rows in the list. */
export function sendCsv(
  reply: FastifyReply,
  name: string,
  columns: readonly string[],
  rows: InventoryRow[],
  total: number,
) {
  return reply
    .type("text/csv; charset=utf-8")
    .header("content-disposition", `attachment; filename="${name}.csv"`)
    .header("x-total-count", String(total))
    .send(toCsv(columns, rows));
}
