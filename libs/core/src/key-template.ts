import { hostname } from 'node:os';
import { PermanentError } from './errors';

/**
 * The placeholders of a route's `targetPath` (the key template on object stores), with what each
 * one means. `available: false` names a placeholder no source can fill yet, so a config asking for
 * it fails at `check-config` with that reason instead of writing a literal "{flight}".
 */
export const TEMPLATE_PLACEHOLDERS = {
  vehicle: { available: true, help: 'the vehicle name (config `vehicle`, default the host name)' },
  source: { available: true, help: 'the source id (a drive’s includes its volume UUID)' },
  date: { available: true, help: 'the file’s modification date, UTC, YYYY-MM-DD (stable across restarts, unlike today’s date)' },
  path: { available: true, help: 'the file’s path on the source' },
  name: { available: true, help: 'the file’s name' },
  flight: { available: false, help: 'no source reports a flight number yet (MAVFTP lists logs by date); use {date} or {path}' },
} as const satisfies Record<string, { available: boolean; help: string }>;

export type TemplatePlaceholder = keyof typeof TEMPLATE_PLACEHOLDERS;

/** What is wrong with a template, one message per problem (empty when it is fine). */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  for (const match of template.matchAll(/\{([^{}]*)\}/g)) {
    const name = match[1] ?? '';
    const known = (TEMPLATE_PLACEHOLDERS as Record<string, { available: boolean; help: string }>)[name];
    if (!known) problems.push(`unknown placeholder {${name}} (known: ${Object.keys(TEMPLATE_PLACEHOLDERS).map((k) => `{${k}}`).join(', ')})`);
    else if (!known.available) problems.push(`{${name}} is not available: ${known.help}`);
  }
  const literal = template.replace(/\{[^{}]*\}/g, 'x');
  if (/[{}]/.test(literal)) problems.push('has an unmatched "{" or "}"');
  if (literal.split('/').some((segment) => segment === '..')) problems.push('has a ".." segment: files would land outside the target’s folder');
  return problems;
}

export interface TemplateFields {
  readonly vehicle: string;
  readonly sourceId: string;
  readonly path: string;
  /** The file's mtime (ms); gives {date}. */
  readonly mtimeMs: number;
}

/** `{date}`: the mtime's UTC day, so a file keeps its key after a restart at midnight. */
export function templateDate(mtimeMs: number): string {
  return new Date(mtimeMs).toISOString().slice(0, 10);
}

/** Fills a template checked by {@link templateProblems}. Names are put in as they are, never rewritten. */
export function renderTemplate(template: string, fields: TemplateFields): string {
  const name = fields.path.slice(fields.path.lastIndexOf('/') + 1);
  const values: Record<string, string> = {
    vehicle: fields.vehicle,
    // Source ids of drives hold a ':' (`flir:UUID`) that some servers refuse; ids are ours, not file names.
    source: fields.sourceId.replace(/[^A-Za-z0-9._-]/g, '_'),
    date: templateDate(fields.mtimeMs),
    path: fields.path,
    name,
  };
  return template.replace(/\{([^{}]*)\}/g, (all, key: string) => values[key] ?? all).replace(/^\/+/, '');
}

/** Vehicle names go into keys as one path segment. */
export const VEHICLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The vehicle name of this agent: the config's, else the host name (which must then fit {@link VEHICLE_NAME}). */
export function vehicleName(configured: string | undefined, host: () => string = hostname): string {
  if (configured !== undefined) return configured;
  const name = host();
  if (!VEHICLE_NAME.test(name)) {
    throw new PermanentError('bad-request', `vehicle: the host name "${name}" cannot name a vehicle (letters, digits, ".", "-", "_"); set "vehicle" in the config`, {
      detail: { field: 'vehicle' },
    });
  }
  return name;
}

/**
 * Why `path` cannot be used as a key below a prefix, or undefined when it can. A target that writes
 * below a prefix refuses these rather than rewriting them into another name: `..` and `.` segments
 * (a file-backed store or a later sync to disk would resolve them outside the prefix), a leading `/`,
 * empty segments, backslashes and control characters.
 */
export function unsafeKeyReason(path: string): string | undefined {
  if (path === '') return 'the name is empty';
  if (path.startsWith('/')) return 'it starts with "/"';
  if (path.includes('\\')) return 'it holds a "\\"';
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'it holds a control character';
  const segments = path.split('/');
  if (segments.some((s) => s === '..')) return 'it has a ".." segment';
  if (segments.some((s) => s === '.')) return 'it has a "." segment';
  if (segments.some((s) => s === '')) return 'it has an empty segment ("//" or a trailing "/")';
  return undefined;
}
