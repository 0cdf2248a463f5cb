import { FILE_STATE_NAMES } from './file-states';
import { esc } from './format';
import { type PageState, renderSections } from './page-state';
import { PAGE_CSS } from './style';

/**
 * The whole page as the server sends it: every section already filled with the current state (no
 * "loading…"), readable without its script; the script then keeps it live over server-sent events.
 */
export function renderDocument(s: PageState, token: string | undefined, scriptUrl: string): string {
  const sec = renderSections(s, token);
  const section = (id: string, title: string, extra = ''): string => `<section><h2>${title}</h2>${extra}<div id="${id}">${sec[id] ?? ''}</div></section>`;
  const stateOptions = ['', ...FILE_STATE_NAMES, 'problems']
    .map((st) => `<option value="${esc(st)}"${st === s.query.state ? ' selected' : ''}>${st === '' ? 'any state' : esc(st)}</option>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>filesync</title><style>${PAGE_CSS}</style></head>
<body><header><h1>filesync</h1><div id="summary" class="summary">${sec['summary'] ?? ''}</div><span id="live" class="muted">live</span></header>
<main>
${section('devices', 'Devices')}
${section('transfers', 'Transfers')}
${section('throughput', 'Throughput')}
${section('failures', 'Failures', '<button type="button" data-action="retry-all" class="right">Retry all</button>')}
${section('deliveries', 'Recent deliveries')}
<section><h2>Files</h2><form id="search" method="get" role="search">${token ? `<input type="hidden" name="token" value="${esc(token)}">` : ''}
<input type="search" name="q" value="${esc(s.query.q)}" placeholder="search paths" aria-label="search paths"><select name="state" aria-label="state">${stateOptions}</select><button>Search</button></form>
<div id="files">${sec['files'] ?? ''}</div></section>
${section('routes', 'Routes')}
<details><summary>Details: workers</summary><div id="tree">${sec['tree'] ?? ''}</div></details>
</main>
<script type="module" src="${esc(scriptUrl)}"></script>
</body></html>`;
}
