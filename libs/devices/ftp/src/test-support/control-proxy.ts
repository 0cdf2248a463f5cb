import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';

/** What the proxy does with one command line from the client: pass it on, answer it itself, or cut the connection. */
export type ProxyAction = { readonly pass: true } | { readonly reply: string } | { readonly cut: true };

export interface ProxyRules {
  /** Decides per command line; `connection` counts client connections from 1. Default: pass. */
  command?(line: string, connection: number): ProxyAction;
  /** Drops lines of a FEAT reply (e.g. " MLST …") on a connection: a server whose FEAT differs between connections. */
  hideFeature?(featureLine: string, connection: number): boolean;
}

export interface ControlProxy {
  /** `ftp://127.0.0.1:PORT` plus the upstream URL's path. */
  readonly url: string;
  /** Client connections seen so far. */
  readonly connections: number;
  /** Commands the clients sent, in order (`PASS` masked). */
  readonly commands: readonly string[];
  rules: ProxyRules;
  /** Cuts every open connection at once, as a server restart does. */
  cutAll(): void;
  close(): Promise<void>;
}

function lines(onLine: (line: string) => void): (chunk: Buffer) => void {
  let buffered = '';
  return (chunk) => {
    buffered += chunk.toString('latin1');
    for (let at = buffered.indexOf('\r\n'); at >= 0; at = buffered.indexOf('\r\n')) {
      onLine(buffered.slice(0, at));
      buffered = buffered.slice(at + 2);
    }
  };
}

/**
 * A line-level proxy for an FTP control connection on 127.0.0.1, to give a real server faults it
 * has no switch for (a 425 on MLSD, FEAT without MLST on some connections, a connection cut just
 * before a given command). Data connections do not pass through it: EPSV replies carry only a port,
 * so the client opens them to the real server directly.
 */
export async function startControlProxy(upstreamUrl: string, rules: ProxyRules = {}): Promise<ControlProxy> {
  const upstream = new URL(upstreamUrl);
  const sockets = new Set<Socket>();
  const commands: string[] = [];
  let connections = 0;
  const server: Server = createServer((client) => {
    const connection = ++connections;
    const server = connect(Number(upstream.port), upstream.hostname);
    sockets.add(client).add(server);
    const cut = (): void => {
      client.destroy();
      server.destroy();
    };
    for (const s of [client, server]) {
      s.on('error', cut);
      s.on('close', () => {
        sockets.delete(s);
        cut();
      });
    }
    let inFeat = false;
    server.on(
      'data',
      lines((line) => {
        if (/^211-/.test(line)) inFeat = true;
        else if (/^211 /.test(line)) inFeat = false;
        else if (inFeat && proxy.rules.hideFeature?.(line, connection)) return;
        client.write(`${line}\r\n`);
      }),
    );
    client.on(
      'data',
      lines((line) => {
        commands.push(/^PASS /i.test(line) ? 'PASS ***' : line);
        const action = proxy.rules.command?.(line, connection) ?? { pass: true };
        if ('cut' in action) cut();
        else if ('reply' in action) client.write(`${action.reply}\r\n`);
        else server.write(`${line}\r\n`);
      }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const proxy: ControlProxy = {
    url: `ftp://127.0.0.1:${port}${upstream.pathname === '/' ? '' : upstream.pathname}`,
    get connections() {
      return connections;
    },
    commands,
    rules,
    cutAll: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
