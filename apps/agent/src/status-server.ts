import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AgentStatus } from './agent';
import type { StatusAccess } from './status-access';
import type { AgentMetrics } from './metrics/agent-metrics';

/**
 * The status API (`GET /api/status`), a small page that polls it and, with `metrics`, `GET /metrics`
 * (Prometheus text format). Listens on loopback by default; `access` decides who may use any of
 * them. `url` is the address really bound (a host of 0.0.0.0 says so).
 */
export async function startStatusServer(
  status: () => AgentStatus,
  host: string,
  port: number,
  access: StatusAccess,
  metrics?: AgentMetrics,
): Promise<{ url: string; close(): Promise<void> }> {
  const app: FastifyInstance = Fastify({ logger: false });
  app.addHook('onRequest', async (req, reply) => {
    const refused = access.refuse(req.headers, req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
    if (refused) await reply.code(refused.status).send({ error: refused.reason });
  });
  app.get('/api/status', async () => status());
  if (metrics) app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.render()));
  app.get('/', async (_req, reply) => reply.type('text/html').send(STATUS_PAGE));
  await app.listen({ host, port });
  const bound = app.server.address() as AddressInfo;
  const name = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return { url: `http://${name}:${bound.port}`, close: () => app.close() };
}

const STATUS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>filesync</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left}.down{color:#b00}.degraded{color:#b60}.up{color:#070}</style>
</head><body><h1>filesync</h1><div id="root">loading…</div>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
function table(title, rows) {
  return '<h2>' + esc(title) + '</h2><table>' + rows.map((r) => '<tr>' + r.map((c) => '<td>' + c + '</td>').join('') + '</tr>').join('') + '</table>';
}
async function refresh() {
  try {
    const s = await (await fetch('api/status' + location.search)).json();
    const files = table('Files', Object.entries(s.counts.files).map(([k, v]) => [esc(k), esc(v)]));
    const health = (kind, m) => table(kind, Object.entries(m).map(([id, h]) => [esc(id), '<span class="' + esc(h.state) + '">' + esc(h.state) + '</span>', esc(h.cause ? h.cause.message : '')]));
    const targets = table('Per target', Object.entries(s.counts.byTarget).map(([id, c]) => [esc(id), esc(Object.entries(c).filter(([, n]) => n > 0).map(([k, n]) => k + ' ' + n).join(', '))]));
    // The tree is nested (a supervisor per source and target): one row per child, named by its path.
    const rows = [];
    const walk = (children, prefix) => {
      for (const c of children) {
        const name = prefix + c.id;
        const kind = c.supervisor ? c.supervisor.strategy : (c.threadId === undefined ? '' : 'thread ' + c.threadId);
        rows.push([esc(name), esc(c.state), esc(c.uptimeMs === undefined ? '' : Math.round(c.uptimeMs / 1000) + ' s'), esc(c.restarts + ' restarts'), esc(kind)]);
        if (c.supervisor) walk(c.supervisor.children, name + '/');
      }
    };
    if (s.tree) walk(s.tree.children, '');
    const workers = s.tree ? table('Workers', rows) : '';
    const repair = s.repair ? '<p class="down">Catalog repaired at start: ' + esc(s.repair.reason) + '</p>' : '';
    document.getElementById('root').innerHTML = repair + files + health('Sources', s.health.sources) + health('Targets', s.health.targets) + targets + workers;
  } catch (e) { document.getElementById('root').textContent = 'agent not reachable: ' + e; }
}
refresh(); setInterval(refresh, 1000);
</script></body></html>`;
