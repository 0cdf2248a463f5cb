// Lists a directory with the local source and prints {entries, problems} as JSON: run in a child
// process with other privileges than the test's (see safe-source.spec.ts).
import type { ListProblem, SourceEntry } from '@filesync/core';
import { createLocalSource } from '../local-source';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: list-once.ts DIR');
const entries: SourceEntry[] = [];
const problems: ListProblem[] = [];
for await (const e of createLocalSource({ id: 'l', dir }).list({ onProblem: (p) => problems.push(p) })) entries.push(e);
process.stdout.write(JSON.stringify({ entries, problems }));
