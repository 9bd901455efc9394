import type { InventoryRow } from "@compliance/contract";

/**
 * One CSV document: a header line, then the rows; RFC 4180 quoting. A text cell that a
 * spreadsheet would run as a formula (starting with =, + or @) gets a leading quote mark;
 * "-" is left alone because login shells are really named "-bash".
 */
export function toCsv(columns: readonly string[], rows: InventoryRow[]): string {
  const cell = (v: string | number | null | undefined) => {
    if (v === null || v === undefined) return "";
    let s = String(v);
    if (typeof v === "string" && /^[=+@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [columns.join(",")];
  for (const r of rows) lines.push(columns.map((c) => cell(r[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}
