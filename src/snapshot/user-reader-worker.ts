/**
 * The reader thread of `user-reader.ts`: opens its own connection like the run's, reads the users a page at
 * a time and sends each page as JSON rows (`[dn, values]`, values by attribute position: no attribute
 * names, so they are quick to write and to read), never more than `pagesAhead` pages before the planner has
 * taken them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Directory } from '../directory/client.js';
import { serializeError, type UserReaderData, type UserReaderMessage } from './reader-protocol.js';

const port = parentPort;
if (port === null) throw new Error('user-reader-worker runs as a worker thread only');
const { connection, read, pagesAhead } = workerData as UserReaderData;

let credit = pagesAhead;
let wake: (() => void) | undefined;
port.on('message', () => {
  credit += 1;
  wake?.();
  wake = undefined;
});

const send = (message: UserReaderMessage) => port.postMessage(message);

async function main(): Promise<void> {
  const directory = await Directory.connect(connection);
  try {
    for await (const page of directory.searchRows(read.base, {
      scope: 'sub',
      filter: read.filter,
      attributes: read.attributes,
    })) {
      while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
      credit -= 1;
      send({ type: 'page', rows: JSON.stringify(page.map(({ dn, values }) => [dn, values])) });
    }
    send({ type: 'done' });
  } finally {
    await directory.close();
  }
}

main().then(
  () => port.close(),
  (error: unknown) => {
    send({ type: 'error', error: serializeError(error) });
    port.close();
  },
);
