/** One thing `filesync doctor` looked at: what it found and, unless all is well, what to do. */
export interface Finding {
  readonly level: 'ok' | 'warn' | 'fail';
  /** What was checked: `config`, `source px4`, `target nas`, `staging`, `clock`, `catalog`. */
  readonly area: string;
  readonly message: string;
  readonly advice?: string;
}

export const ok = (area: string, message: string): Finding => ({ level: 'ok', area, message });
export const warn = (area: string, message: string, advice: string): Finding => ({ level: 'warn', area, message, advice });
export const fail = (area: string, message: string, advice: string): Finding => ({ level: 'fail', area, message, advice });
