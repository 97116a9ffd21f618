// Reads a Parquet file with arrow-rs (the Rust Parquet implementation, as the parquet-wasm
// WebAssembly build) and prints one JSON object per row (see arrow_rows.mjs).
//
//   node read_parquet.mjs <directory holding node_modules> <file.parquet>
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { jsonRows } from './arrow_rows.mjs';

const [modules, file] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const resolve = name => require.resolve(name, { paths: [modules] });
const parquet = await import(pathToFileURL(resolve('parquet-wasm/esm')));
const arrow = await import(pathToFileURL(resolve('apache-arrow')));
await parquet.default({ module_or_path: readFileSync(resolve('parquet-wasm/esm/parquet_wasm_bg.wasm')) });
const table = arrow.tableFromIPC(parquet.readParquet(readFileSync(file)).intoIPCStream());
process.stdout.write(jsonRows(table, arrow).join('\n') + '\n');
