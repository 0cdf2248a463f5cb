/** Resolves once `cond` holds, checked every 10 ms; rejects after `ms`. */
export function until(cond: () => boolean, ms = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        resolve();
      } else if (Date.now() - start > ms) {
        clearInterval(t);
        reject(new Error('condition not met in time'));
      }
    }, 10);
  });
}
