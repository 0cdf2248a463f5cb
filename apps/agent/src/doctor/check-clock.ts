import { type Finding, fail, ok, warn } from './finding';

/**
 * A Raspberry Pi has no real-time clock: after a power cut it starts at the last time fake-hwclock
 * saved, or 1970, until NTP answers (often never, in the field). Times before this are not real.
 */
const EARLIEST_REAL_MS = Date.UTC(2025, 0, 1);

/** Whether the clock can be trusted for file times and the catalog's order of events. */
export function checkClock(nowMs: number, latestCatalogEventMs: number | undefined): Finding {
  const now = new Date(nowMs).toISOString();
  if (nowMs < EARLIEST_REAL_MS) {
    return fail('clock', `the system clock says ${now}, before this release existed`, 'set the time (NTP, a GPS time source, or an RTC module); the catalog orders events by it');
  }
  if (latestCatalogEventMs !== undefined && latestCatalogEventMs > nowMs + 60_000) {
    const at = new Date(latestCatalogEventMs).toISOString();
    return warn('clock', `the system clock (${now}) is behind the catalog's latest event (${at}): it went backwards since the agent last ran`, 'check NTP or the RTC; times shown for new events will look older than earlier ones');
  }
  return ok('clock', `the system clock says ${now}`);
}
