import { type FilesyncError, PermanentError, TransientError } from '@filesync/core';
import { classifyHttpStatus, parseRetryAfter } from './errors';
import type { PostAnswer } from './post-file';

/** What one POST's answer means, before the retry decision. */
export type Judgement = { readonly url: string } | { readonly error: FilesyncError; readonly retryAfterMs: number | undefined };

export interface ReceiptRules {
  readonly targetId: string;
  /** Where the POST went; a relative `Location` or JSON `url` is taken from here. */
  readonly postUrl: URL;
  /** Flight Review: only `/plot_app?log=<id>` is a log page (app/tornado_handlers/upload.py). */
  readonly flightReview: boolean;
  readonly now: number;
}

/** Flight Review answers `self.redirect('/plot_app?log=' + log_id)` (Tornado: 302), or `{"url": …}` with the same path. */
const FLIGHT_REVIEW_LOG_PAGE = /\/plot_app$/;

function sameOrigin(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && a.hostname === b.hostname && a.port === b.port;
}

/**
 * The error for an answer that points away from the configured site. An `http://` site sending us to
 * its own `https://` is a config error no retry cures; anything else (a captive portal's login page,
 * a proxy's block page) means the upload never reached the site: transient, so it is retried with
 * backoff while the error names where the answer pointed.
 */
function elsewhere(rules: ReceiptRules, to: URL, status: number): FilesyncError {
  const site = rules.postUrl;
  if (site.protocol === 'http:' && to.protocol === 'https:' && to.hostname === site.hostname) {
    const fixed = new URL(site.href);
    fixed.protocol = 'https:';
    fixed.port = to.port;
    return new PermanentError('bad-request', `${rules.targetId}: ${site.origin} redirects to https:// (HTTP ${status}); set the target's url to ${fixed.origin}`, {
      detail: { status, field: 'url' },
    });
  }
  return new TransientError('disconnected', `${rules.targetId}: HTTP ${status} pointed to ${to.origin}, not to ${site.origin} (a captive portal or proxy?); the upload was not delivered`, {
    detail: { status, host: to.host },
  });
}

/** The log page `raw` names, absolute, or the error saying why it is no proof of delivery. */
export function logPageOf(raw: string, status: number, rules: ReceiptRules): Judgement {
  let url: URL;
  try {
    url = new URL(raw, rules.postUrl);
  } catch {
    return { error: new PermanentError('unsupported', `${rules.targetId}: HTTP ${status} named "${raw.slice(0, 100)}", not a URL`, { detail: { status } }), retryAfterMs: undefined };
  }
  if (!sameOrigin(url, rules.postUrl)) return { error: elsewhere(rules, url, status), retryAfterMs: undefined };
  if (rules.flightReview && !(FLIGHT_REVIEW_LOG_PAGE.test(url.pathname) && url.searchParams.get('log'))) {
    return {
      error: new PermanentError('unsupported', `${rules.targetId}: HTTP ${status} pointed to ${url.pathname}, not to a Flight Review log page (/plot_app?log=…)`, { detail: { status } }),
      retryAfterMs: undefined,
    };
  }
  return { url: url.href };
}

function jsonUrlOf(body: string): string | undefined {
  try {
    const json = JSON.parse(body) as { url?: unknown; location?: unknown } | null;
    const url = json?.url ?? json?.location;
    return typeof url === 'string' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Judges an upload's answer. Success is the site's documented success and nothing else:
 * - Flight Review: 302 with `Location: /plot_app?log=<id>`, or 200 `{"url": "/plot_app?log=<id>"}`
 *   (`redirect=false`), on the configured site (same scheme, host and port);
 * - form: a 2xx or 302/303 naming a URL on the configured site, or a bare 2xx (the form URL is then the receipt).
 * A redirect that asks to send the POST again elsewhere (301, 307, 308) is never a receipt.
 */
export function judgeAnswer(answer: PostAnswer, rules: ReceiptRules): Judgement {
  const { status } = answer;
  const location = typeof answer.headers.location === 'string' && answer.headers.location ? answer.headers.location : undefined;
  if (status === 302 || status === 303) {
    if (location) return logPageOf(location, status, rules);
  } else if (status >= 300 && status < 400) {
    if (location) {
      const to = URL.canParse(location, rules.postUrl.href) ? new URL(location, rules.postUrl) : undefined;
      if (to && !sameOrigin(to, rules.postUrl)) return { error: elsewhere(rules, to, status), retryAfterMs: undefined };
    }
    return {
      error: new PermanentError('unsupported', `${rules.targetId}: HTTP ${status} asks to send the upload to ${location ?? 'another URL'}; set the target's url to the site's upload address`, {
        detail: { status },
      }),
      retryAfterMs: undefined,
    };
  } else if (status >= 200 && status < 300) {
    const url = jsonUrlOf(answer.body) ?? (rules.flightReview ? undefined : location);
    if (url !== undefined) return logPageOf(url, status, rules);
    // A generic form site may answer a bare 2xx: the upload is done, the form URL is all we know.
    if (!rules.flightReview) return { url: rules.postUrl.href };
  } else {
    const retryAfter = answer.headers['retry-after'];
    const retryAfterMs = parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : undefined, rules.now);
    return { error: classifyHttpStatus(status, answer.body, retryAfterMs), retryAfterMs };
  }
  return {
    error: new PermanentError('unsupported', `${rules.targetId}: HTTP ${status} without a log URL from ${rules.postUrl.host}`, { detail: { status } }),
    retryAfterMs: undefined,
  };
}
