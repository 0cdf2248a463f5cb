import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { schemaFreeFastify } from './schema-free-fastify';

const loaded = (path: string): boolean => Object.keys(createRequire(import.meta.url).cache).some((p) => p.includes(`/node_modules/${path}`));

describe('the status server’s fastify', () => {
  it('serves JSON without loading ajv or fast-json-stringify', async () => {
    const app = schemaFreeFastify();
    try {
      app.get('/x', async () => ({ ok: true, n: 1 }));
      const reply = await app.inject({ method: 'GET', url: '/x' });
      expect(reply.json()).toEqual({ ok: true, n: 1 });
      const missing = await app.inject({ method: 'GET', url: '/nothing' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ statusCode: 404 });
      expect(loaded('fastify/')).toBe(true); // the check sees what this file loaded
      expect(loaded('ajv/')).toBe(false);
      expect(loaded('@fastify/ajv-compiler/')).toBe(false);
      expect(loaded('@fastify/fast-json-stringify-compiler/')).toBe(false);
      // Its error replies use a serializer fastify ships compiled: the runtime part only, not the compiler.
      expect(loaded('fast-json-stringify/index.js')).toBe(false);
    } finally {
      await app.close();
    }
  });

  it('refuses a route with a schema, saying how input is checked here instead', async () => {
    const app = schemaFreeFastify();
    try {
      app.post('/y', { schema: { body: { type: 'object' } } }, async () => ({}));
      await expect(app.ready()).rejects.toThrow(/no fastify route schemas: check input with zod/);
    } finally {
      await app.close();
    }
  });
});
