/** The catalog's file states, for the page's filter (core's list, copied: the page bundle imports nothing of Node). */
export const FILE_STATE_NAMES = ['found', 'downloading', 'staged', 'delivered', 'removed', 'vanished', 'failed', 'skipped'] as const;
