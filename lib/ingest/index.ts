// Public surface of the ingest parsers (pure core: no Next.js, React, Prisma or environment reads).
export { readLines, DEFAULT_MAX_LINE_BYTES, type ByteSource, type LineItem, type LineReaderError, type ReadLinesOptions } from './line-reader.ts';
export { PARSERS, getParser } from './registry.ts';
export { detectFormat } from './detect.ts';
export { redact, REDACTED } from './redact.ts';
export { openParseStream, type CompiledLogFormatInfo, type OpenedParseStream, type ParsedLine, type ParseStreamOptions } from './parse-stream.ts';
export { sha256B64url, fingerprintFromJti } from '../credentials/fingerprint.ts';
export {
  CONFIGURED_FORMATS, FORMAT_NAMES, createParseContext, isConfiguredFormat, isFormatName, type ConfiguredFormatName,
  type FormatName, type LineParser, type ParseContext, type ParseContextOptions, type ParseErrorReason, type ParseResult,
} from './types.ts';
export { NGINX_AUTH_MAPS, NGINX_BACKEND_JSON_LOG_FORMAT, NGINX_JSON_LOG_FORMAT } from './formats/nginx-json.ts';
export { NGINX_COMBINED_LOG_FORMAT } from './formats/nginx-combined.ts';
export { ENVOY_JSON_FORMAT } from './formats/envoy-json.ts';
export { AWS_APIGW_LOG_FORMAT } from './formats/aws-apigw.ts';
export { INVENTORY_CSV_COLUMNS } from './formats/inventory-csv.ts';
// Bring-your-own log formats: NGINX log_format, Apache LogFormat, HAProxy log-format, read from the gateway's configuration.
export { compileGatewayLogFormat, gatewayOfConfig, MAX_GATEWAY_CONFIG_CHARS, type CompileGatewayLogFormatOptions } from './custom/compile.ts';
export { GATEWAY_FORMATS, isGatewayFormat, LogFormatError, type CompiledLogFormat, type GatewayFormat, type LogFormatErrorCode } from './custom/compiled.ts';
export type { FieldName as LogFormatField } from './custom/fields.ts';
