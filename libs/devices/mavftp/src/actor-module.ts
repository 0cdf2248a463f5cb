/** The device actor's module, for `startActor({ id: 'source:px4', module: MAVFTP_ACTOR_MODULE, args })`. */
export const MAVFTP_ACTOR_MODULE: URL = new URL('./mavftp-actor.ts', import.meta.url);
