import Fastify, { type FastifyInstance } from 'fastify';

const NO_SCHEMAS = 'the status server takes no fastify route schemas: check input with zod (status/api-input.ts) and answer plain JSON';

/**
 * A fastify app that never loads ajv or fast-json-stringify. Fastify loads both when an app is made,
 * to compile route schemas; the status routes have none (input is checked with zod, replies are
 * plain JSON), and loading and setting them up cost every start of the agent about 0.3 s of CPU on
 * this machine (more on a Pi) and their heap. A route declared with a schema fails at `ready` saying so.
 */
export function schemaFreeFastify(): FastifyInstance {
  const refuse = (): never => {
    throw new Error(NO_SCHEMAS);
  };
  return Fastify({ logger: false, schemaController: { compilersFactory: { buildValidator: () => refuse, buildSerializer: () => refuse } } });
}
