/**
 * Output of the admin commands: a plain aligned table by default (server text made printable first), or
 * the server's JSON with --json for scripts. One helper so every command prints the same way.
 */
import type { Io } from "./io.js";
import { printable } from "./printable.js";

/** A column: its heading and how a row shows in it. */
export type Column<T> = [heading: string, cell: (row: T) => unknown];

function text(value: unknown): string {
  if (value === null || value === undefined || value === "") return "-";
  if (Array.isArray(value)) return value.map(text).join(" ");
  return printable(String(value));
}

/** Prints `rows` as an aligned table with a heading line; "(none)" when empty. */
export function printTable<T>(io: Io, columns: Column<T>[], rows: T[]): void {
  if (rows.length === 0) {
    io.stdout("(none)\n");
    return;
  }
  const cells = rows.map((row) => columns.map(([, cell]) => text(cell(row))));
  const widths = columns.map(([heading], i) => Math.max(heading.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (values: string[]) =>
    `${values
      .map((v, i) => v.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd()}\n`;
  io.stdout(line(columns.map(([heading]) => heading.toUpperCase())));
  for (const row of cells) io.stdout(line(row));
}

/** Prints `pairs` one per line, `key: value`. */
export function printFields(io: Io, pairs: [string, unknown][]): void {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 2;
  for (const [key, value] of pairs) io.stdout(`${`${key}:`.padEnd(width)}${text(value)}\n`);
}

/** Prints a value as indented JSON. */
export function printJson(io: Io, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
