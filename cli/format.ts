// Plain-text output helpers: aligned columns and '-' for what is missing.

/** Pads every column but the last to its widest cell. */
export function columns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd(),
  );
}

export function orDash(value: string | undefined | null): string {
  return value === undefined || value === null || value === '' ? '-' : value;
}

/** Quotes a value for POSIX shells: single quotes, with embedded single quotes closed, escaped and reopened. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** ISO 8601 in UTC, to the second. */
export function isoTime(epochMilliseconds: number): string {
  return new Date(epochMilliseconds).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "1 session", "2 sessions", "0 relying parties". */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
