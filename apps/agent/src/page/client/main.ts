import type { DeliveryView, FileView, Overview, PageView } from '../../status/overview';
import { type PageQuery, type PageState, listUrls, queryParams, renderSections } from '../view/page-state';

/**
 * The page's script: takes over the server-rendered page and keeps it live. The overview arrives by
 * server-sent events (`api/events`); the lists are fetched again when the catalog's version moves or
 * the search or a page changes. Buttons call the API and the next event shows the result.
 */

const params = new URLSearchParams(location.search);
const token = params.get('token') ?? undefined;
const num = (k: string): number => Math.max(0, Number.parseInt(params.get(k) ?? '0', 10) || 0);
let query: PageQuery = { q: params.get('q') ?? '', state: params.get('state') ?? '', o: num('o'), fo: num('fo'), do: num('do') };
let state: PageState | undefined;
let lastVersion = -1;
/** The lists stay as the server rendered them until the first fetch of them returns. */
let listsLoaded = false;
const LISTS = new Set(['failures', 'deliveries', 'files']);
const shown = new Map<string, string>();
const live = document.getElementById('live');

const api = (path: string): string => (token ? `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : path);

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url.split('?')[0] ?? url}: ${res.status}`);
  return (await res.json()) as T;
}

/** Replaces only the sections whose HTML changed, so a hovered button or a selection is not thrown away every second. */
function paint(): void {
  if (!state) return;
  for (const [id, html] of Object.entries(renderSections(state, token))) {
    if (shown.get(id) === html || (!listsLoaded && LISTS.has(id))) continue;
    const el = document.getElementById(id);
    if (el) el.innerHTML = html;
    shown.set(id, html);
  }
}

async function loadLists(): Promise<void> {
  if (!state) return;
  const urls = listUrls(query, token);
  const [failures, deliveries, files] = await Promise.all([
    getJson<PageView<FileView>>(urls.failures),
    getJson<PageView<DeliveryView>>(urls.deliveries),
    getJson<PageView<FileView>>(urls.files),
  ]);
  state = { ...state, failures, deliveries, files, query };
  listsLoaded = true;
  paint();
}

function onOverview(overview: Overview): void {
  const versionMoved = overview.version !== lastVersion;
  lastVersion = overview.version;
  if (!state) {
    // The server rendered the lists; until they are fetched, keep them as they are.
    state = { overview, failures: emptyPage(), deliveries: emptyPage(), files: emptyPage(), query };
    void loadLists().catch(showError);
    return;
  }
  state = { ...state, overview };
  paint();
  if (versionMoved) void loadLists().catch(showError);
}

function emptyPage<T>(): PageView<T> {
  return { total: 0, offset: 0, limit: 0, items: [] };
}

function showError(err: unknown): void {
  if (live) live.textContent = `update failed: ${String(err)}`;
}

function setQuery(next: PageQuery): void {
  query = next;
  history.replaceState(null, '', `?${new URLSearchParams(queryParams(query, token)).toString()}`);
  void loadLists().catch(showError);
}

async function post(path: string): Promise<void> {
  const res = await fetch(api(path), { method: 'POST' });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    throw new Error(body.error ?? String(res.status));
  }
}

document.addEventListener('click', (event) => {
  const el = event.target instanceof Element ? event.target.closest<HTMLElement>('[data-action],[data-nav]') : null;
  if (!el) return;
  const nav = el.dataset['nav'];
  if (nav === 'o' || nav === 'fo' || nav === 'do') {
    event.preventDefault();
    setQuery({ ...query, [nav]: Number(el.dataset['offset'] ?? 0) });
    return;
  }
  const action = el.dataset['action'];
  const path =
    action === 'retry'
      ? `api/files/${el.dataset['file'] ?? ''}/retry`
      : action === 'retry-all'
        ? 'api/failed/retry'
        : action === 'pause' || action === 'resume'
          ? `api/routes/${encodeURIComponent(el.dataset['route'] ?? '')}/${action}`
          : undefined;
  if (!path) return;
  (el as HTMLButtonElement).disabled = true;
  post(path)
    .then(() => loadLists())
    .catch(showError)
    .finally(() => ((el as HTMLButtonElement).disabled = false));
});

document.getElementById('search')?.addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target as HTMLFormElement);
  setQuery({ q: String(form.get('q') ?? ''), state: String(form.get('state') ?? ''), o: 0, fo: 0, do: 0 });
});

const events = new EventSource(api('api/events'));
events.addEventListener('overview', (e) => {
  if (live) live.textContent = 'live';
  onOverview(JSON.parse((e as MessageEvent<string>).data) as Overview);
});
events.addEventListener('error', () => {
  // EventSource reconnects by itself; say so meanwhile.
  if (live) live.textContent = 'reconnecting…';
});
