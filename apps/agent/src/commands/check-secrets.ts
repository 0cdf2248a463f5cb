import type { ConfigProblem } from '@filesync/core/config';
import { type Config, SecretError, readSecret, secretSites } from '@filesync/core/config';

/**
 * Reads every secret the config names (variables and files, as the agent would at start or connect)
 * and returns what cannot be had, by field; the secrets themselves are never returned or printed.
 */
export function checkSecrets(config: Config, env: NodeJS.ProcessEnv = process.env): { checked: number; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  let checked = 0;
  for (const site of secretSites(config)) {
    const at = (field: string): string => (site.path === '' ? field : `${site.path}.${field}`);
    try {
      const secret = readSecret(site.holder, site.fields, env);
      if (secret === undefined) continue;
      checked++;
      const given = [site.fields.value, site.fields.env, site.fields.file].find((k) => k in site.holder) ?? site.fields.value;
      if (secret.trim() === '') problems.push({ path: at(given), message: 'gives an empty secret' });
    } catch (err) {
      if (!(err instanceof SecretError)) throw err;
      checked++;
      problems.push({ path: at(err.field), message: err.message });
    }
  }
  return { checked, problems };
}
