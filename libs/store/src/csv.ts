/**
 * RFC 4180 CSV: fields holding a comma, a double quote, CR or LF are quoted and inner quotes doubled;
 * records end with CRLF. Null and undefined are empty fields.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRecord(values: readonly (string | number | null | undefined)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** Columns of the catalog export: one row per file × target (a file without targets has one row). */
export const CSV_COLUMNS = [
  'file_id',
  'source_id',
  'path',
  'size',
  'mtime',
  'file_state',
  'download_offset',
  'sha256',
  'file_reason',
  'file_attempts',
  'found_at',
  'file_updated_at',
  'version_of',
  'target_id',
  'target_state',
  'target_offset',
  'receipt',
  'target_reason',
  'target_attempts',
  'target_updated_at',
] as const;

export function isoTime(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString();
}
