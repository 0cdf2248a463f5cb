/** The part of s3rver's API (a Koa app; no types of its own) the test support uses. */
declare module 's3rver' {
  import type { Server } from 'node:http';

  export interface S3rverContext {
    readonly method: string;
    readonly path: string;
    readonly query: Record<string, string | string[] | undefined>;
    readonly headers: Record<string, string | string[] | undefined>;
    readonly req: import('node:http').IncomingMessage;
    status: number;
    body: unknown;
    type: string;
  }

  export type S3rverMiddleware = (ctx: S3rverContext, next: () => Promise<void>) => Promise<void>;

  export interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string }[];
    resetOnClose?: boolean;
  }

  export default class S3rver {
    constructor(options: S3rverOptions);
    /** Koa's middleware list; the test support puts its own in front. */
    middleware: S3rverMiddleware[];
    httpServer: Server | undefined;
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
