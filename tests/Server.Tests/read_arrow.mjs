// Reads an Arrow IPC stream from a URL with apache-arrow (the JavaScript implementation) and
// prints one JSON object per row (see arrow_rows.mjs).
//
//   node read_arrow.mjs <directory holding node_modules> <url>
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { jsonRows } from './arrow_rows.mjs';

const [modules, url] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const arrow = await import(pathToFileURL(require.resolve('apache-arrow', { paths: [modules] })));
const response = await fetch(url);
if (response.headers.get('content-type') !== 'application/vnd.apache.arrow.stream') throw new Error(`${response.status} ${await response.text()}`);
const table = await arrow.tableFromIPC(response);
process.stdout.write(jsonRows(table, arrow).join('\n') + '\n');
