import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import type { ConfigProblem } from './load-types';
import { crossReferenceProblems } from './cross-references';
import { type Config, configSchema } from './schema';
import { sourceSchema } from './sources';
import { targetSchema } from './targets';

const SOURCE_TYPES = sourceSchema.options.map((o) => o.shape.type.value);
const TARGET_TYPES = targetSchema.options.map((o) => o.shape.type.value);

export type { ConfigProblem } from './load-types';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  }
}

export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** What a JSON value is, in the words a config's author uses. */
function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a number';
  return `${typeof value}`;
}

/** zod's names for a kind, where "a <name>" reads badly (zod v4 reports a fraction for `.int()` as expected `int`). */
const EXPECTED_KIND: Readonly<Record<string, string>> = { object: 'an object', array: 'a list', int: 'a whole number' };

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling)`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `is required (${issue.expected})`;
  // The value's kind only, never the value: a wrong field may hold a secret.
  if (issue.code === 'invalid_type') return `expected ${EXPECTED_KIND[issue.expected] ?? `a ${issue.expected}`}, got ${jsonKind(issue.input)}`;
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    const types = issue.path[0] === 'targets' ? TARGET_TYPES : SOURCE_TYPES;
    return `unknown type; expected one of ${types.map((t) => `"${t}"`).join(', ')}`;
  }
  return issue.message;
}

function issuePath(issue: z.core.$ZodIssue): string {
  // Cross-reference issues carry their own path (they are raised once for the whole config).
  const at = issue.code === 'custom' ? (issue.params as { at?: unknown } | undefined)?.at : undefined;
  return typeof at === 'string' ? at : formatIssuePath(issue.path);
}

const depth = (issues: readonly z.core.$ZodIssue[]): number => Math.max(0, ...issues.map((i) => i.path.length));

/**
 * A field that may take several shapes (`status`: false or an object) fails with one issue per
 * shape. The shape the value got furthest into (its issues lie deepest) is the one the author meant:
 * its issues are reported at their own fields. Where no shape got into the value, one line lists them.
 */
function flatten(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || ('note' in issue && issue.note === 'No matching discriminator') || issue.errors.length === 0) return [issue];
  const deepest = [...issue.errors].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0]!;
  if (depth(deepest) === 0) {
    const shape = (i: z.core.$ZodIssue): string =>
      i.code === 'invalid_value' ? i.values.map((v) => JSON.stringify(v)).join(' or ') : describeIssue(i).replace(/^expected /, '').replace(/, got .*$/, '');
    const got = issue.errors.flat().find((i) => i.code === 'invalid_type')?.input;
    return [{ ...issue, message: `expected ${[...new Set(issue.errors.flat().map(shape))].join(', or ')}, got ${jsonKind(got ?? issue.input)}` }];
  }
  return deepest.flatMap((i) => flatten({ ...i, path: [...issue.path, ...i.path] }));
}

/** Every problem with a config: the schema's, plus the cross-references even when the schema failed first. */
export function problemsOf(error: z.ZodError, input: unknown): ConfigProblem[] {
  const problems = error.issues.flatMap(flatten).map((issue) => ({ path: issuePath(issue), message: describeIssue(issue) }));
  for (const extra of crossReferenceProblems(input)) {
    if (!problems.some((p) => p.path === extra.path && p.message === extra.message)) problems.push(extra);
  }
  return problems;
}

/** Validates already-parsed JSON. Relative paths stay as written. */
export function parseConfig(input: unknown, file = '<config>'): Config {
  // The input rides on each issue so that a message can say what kind of value was there.
  const result = configSchema.safeParse(input, { reportInput: true });
  if (!result.success) throw new ConfigError(file, problemsOf(result.error, input));
  return result.data;
}

/**
 * Why the text is not JSON, by line and column only: V8's message quotes the text itself, and the
 * file given may be a password file named by mistake, so none of its content is ever repeated.
 */
function jsonProblem(text: string, err: unknown): string {
  const at = /at position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1];
  const hint = 'check that this is the config file (its content is not shown, since it may hold a secret)';
  if (text.trim() === '') return `not valid JSON: the file is empty; ${hint}`;
  if (at === undefined) return `not valid JSON; ${hint}`;
  const before = text.slice(0, Number(at)).split('\n');
  return `not valid JSON at line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}; ${hint}`;
}

/** Reads, parses and validates a config file; relative paths in it are taken from the file's directory. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? String(err)})`;
    throw new ConfigError(file, [{ path: '(file)', message: why }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, [{ path: '(file)', message: jsonProblem(text, err) }]);
  }
  return resolveConfigPaths(parseConfig(json, file), dirname(resolve(file)));
}

/** Makes every file-system path in the config absolute and fills the DATADIR defaults. */
export function resolveConfigPaths(config: Config, baseDir: string): Config {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const dataDir = abs(config.dataDir);
  return {
    ...config,
    dataDir,
    staging: { ...config.staging, dir: abs(config.staging.dir ?? resolve(dataDir, 'staging')) },
    store: { ...config.store, path: abs(config.store.path ?? resolve(dataDir, 'catalog.db')) },
    log: {
      ...config.log,
      file: config.log.file === '-' ? '-' : abs(config.log.file ?? resolve(dataDir, 'logs', 'filesync.log')),
    },
    status: config.status === false || config.status.tokenFile === undefined ? config.status : { ...config.status, tokenFile: abs(config.status.tokenFile) },
    sources: config.sources.map((s) => withAbsoluteFiles(s.type === 'local' ? { ...s, dir: abs(s.dir) } : s, abs)),
    targets: config.targets.map((t) => withAbsoluteFiles(t.type === 'local' ? { ...t, dir: abs(t.dir) } : t, abs)),
  };
}

/** Fields of a device's config that name a file besides its data: relative to the config file, like every path. */
const DEVICE_FILE_FIELDS = ['passwordFile', 'caFile', 'secretAccessKeyFile', 'credentialsFile'] as const;

function withAbsoluteFiles<T extends object>(device: T, abs: (p: string) => string): T {
  const out = { ...device } as Record<string, unknown>;
  for (const key of DEVICE_FILE_FIELDS) if (typeof out[key] === 'string') out[key] = abs(out[key]);
  return out as T;
}
