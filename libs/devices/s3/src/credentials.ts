import { readFileSync } from 'node:fs';
import { PermanentError } from '@filesync/core';
import { SECRET_ACCESS_KEY_FIELDS, readDeviceSecret } from '@filesync/core/config';

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Where the keys come from; none of it is ever logged or shown in status. */
export interface CredentialSource {
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly secretAccessKeyFile?: string;
  readonly secretAccessKeyEnv?: string;
  readonly credentialsFile?: string;
  readonly profile?: string;
}

/** Reads one profile of an AWS shared credentials file (INI). */
function fromSharedFile(file: string, profile: string): S3Credentials {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PermanentError('permission', `credentialsFile: cannot read ${file} (${(err as { code?: string }).code ?? 'error'})`, { detail: { field: 'credentialsFile' } });
  }
  const values: Record<string, string> = {};
  let section: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(?:profile\s+)?([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1]?.trim();
      continue;
    }
    const pair = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (pair && section === profile) values[pair[1]!.toLowerCase()] = pair[2]!.trim();
  }
  const accessKeyId = values['aws_access_key_id'];
  const secretAccessKey = values['aws_secret_access_key'];
  if (!accessKeyId || !secretAccessKey) {
    throw new PermanentError('bad-request', `credentialsFile: profile "${profile}" of ${file} lacks aws_access_key_id or aws_secret_access_key`, {
      detail: { field: 'credentialsFile' },
    });
  }
  const sessionToken = values['aws_session_token'];
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/**
 * The keys to sign with, or undefined for the SDK's standard chain (AWS_ACCESS_KEY_ID and friends,
 * ~/.aws, an instance or container role). Read once when the target opens; a bad file fails there
 * with the field named.
 */
export function resolveCredentials(source: CredentialSource, env: NodeJS.ProcessEnv = process.env): S3Credentials | undefined {
  if (source.credentialsFile !== undefined) return fromSharedFile(source.credentialsFile, source.profile ?? 'default');
  if (source.accessKeyId === undefined) return undefined;
  // The one secret reader of the config (value, variable, or a file's first line), as for FTP passwords.
  const secret = readDeviceSecret(source, SECRET_ACCESS_KEY_FIELDS, env);
  if (secret === '') throw new PermanentError('bad-request', 'the secret access key is empty', { detail: { field: 'secretAccessKey' } });
  if (secret === undefined) throw new PermanentError('bad-request', 'accessKeyId needs a secret access key', { detail: { field: 'accessKeyId' } });
  return { accessKeyId: source.accessKeyId, secretAccessKey: secret };
}
