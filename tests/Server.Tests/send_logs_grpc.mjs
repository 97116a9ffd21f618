// Sends one log record with the OpenTelemetry JavaScript SDK's OTLP/gRPC exporter and exits 0 only
// if the export succeeded.
//
//   node send_logs_grpc.mjs <directory holding node_modules> <grpc url> <body>
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [modules, url, body] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const load = name => import(pathToFileURL(require.resolve(name, { paths: [modules] })));
const { OTLPLogExporter } = await load('@opentelemetry/exporter-logs-otlp-grpc');
const { LoggerProvider } = await load('@opentelemetry/sdk-logs');

const exporter = new OTLPLogExporter({ url });
const result = new Promise(resolve => {
  // A processor that exports each record at once and reports the exporter's own result.
  const processor = { onEmit: record => exporter.export([record], resolve), forceFlush: async () => {}, shutdown: async () => {} };
  new LoggerProvider({ processors: [processor] }).getLogger('javascript').emit({ body, severityNumber: 9, severityText: 'INFO' });
});
const { code, error } = await result;
await exporter.shutdown();
if (code !== 0) {
  console.error(`export failed: ${error}`);
  process.exit(1);
}
