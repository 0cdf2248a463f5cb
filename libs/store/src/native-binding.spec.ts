import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { nativeBindingOption } from './native-binding';

describe('nativeBindingOption', () => {
  it('names the addon npm installed, which opens a database as `bindings` would find it', () => {
    const { nativeBinding } = nativeBindingOption();
    expect(nativeBinding).toMatch(/better-sqlite3\/build\/Release\/better_sqlite3\.node$/);
    expect(existsSync(nativeBinding ?? '')).toBe(true);
    const db = new Database(':memory:', nativeBindingOption());
    expect(db.prepare('SELECT 1 + 1 AS two').get()).toEqual({ two: 2 });
    db.close();
  });
});
