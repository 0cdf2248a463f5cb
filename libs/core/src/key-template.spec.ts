import { describe, expect, it } from 'vitest';
import { renderTemplate, templateProblems, unsafeKeyReason, vehicleName } from './key-template';

describe('key templates', () => {
  it('renders {vehicle}, {source}, {date}, {path}, {name} and leaves names as they are', () => {
    const fields = { vehicle: 'drone-7', sourceId: 'flir:1234', path: 'DCIM/100/IMG 1.jpg', mtimeMs: Date.UTC(2026, 0, 2, 3) };
    expect(renderTemplate('{vehicle}/{source}/{date}/{path}', fields)).toBe('drone-7/flir_1234/2026-01-02/DCIM/100/IMG 1.jpg');
    expect(renderTemplate('{vehicle}/{name}', fields)).toBe('drone-7/IMG 1.jpg');
  });

  it('finds unknown and unavailable placeholders, stray braces and ".." segments', () => {
    expect(templateProblems('{vehicle}/{source}/{date}/{path}')).toEqual([]);
    expect(templateProblems('{vehicel}/{path}')[0]).toMatch(/^unknown placeholder \{vehicel\}/);
    expect(templateProblems('{flight}/{path}')[0]).toMatch(/^\{flight\} is not available/);
    expect(templateProblems('{path')).toEqual(['has an unmatched "{" or "}"']);
    expect(templateProblems('x/../{path}')[0]).toContain('".." segment');
  });

  it('says why a name cannot be a key below a prefix', () => {
    expect(unsafeKeyReason('drone-7/px4/log/1.ulg')).toBeUndefined();
    expect(unsafeKeyReason('../x')).toBe('it has a ".." segment');
    expect(unsafeKeyReason('/x')).toBe('it starts with "/"');
    expect(unsafeKeyReason('a//b')).toContain('empty segment');
    expect(unsafeKeyReason('a/./b')).toBe('it has a "." segment');
    expect(unsafeKeyReason('a\\..\\b')).toBe('it holds a "\\"');
  });

  it('takes the host name as vehicle name unless configured, and refuses one that cannot name a vehicle', () => {
    expect(vehicleName('drone-7', () => 'ignored')).toBe('drone-7');
    expect(vehicleName(undefined, () => 'pi-companion')).toBe('pi-companion');
    expect(() => vehicleName(undefined, () => 'bad/host')).toThrow(/set "vehicle" in the config/);
  });
});
