// pino-roll ships no types. Its default export opens the log file (numbered after the last one
// on disk) and resolves with the sonic-boom stream that writes it and rolls it by size.
declare module 'pino-roll' {
  import type SonicBoom from 'sonic-boom';

  interface PinoRollOptions {
    readonly file: string;
    readonly size?: string;
    readonly limit?: { readonly count: number };
    readonly mkdir?: boolean;
  }
  export default function pinoRoll(options: PinoRollOptions): Promise<SonicBoom>;
}
