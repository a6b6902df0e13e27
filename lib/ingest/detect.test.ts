import { describe, expect, it } from 'vitest';
import * as S from './testing/samples.ts';
import { detectFormat } from './detect.ts';

describe('detectFormat', () => {
  it.each([
    ['nginx-json', [S.NGINX_JSON_REAL, S.NGINX_JSON_FULL]],
    ['nginx-combined', [S.NGINX_COMBINED_FULL, S.NGINX_COMBINED_PLAIN]],
    ['envoy-json', [S.ENVOY_LINE]],
    ['envoy-json', ['{"start_time":"2026-11-22T08:00:00Z","method":"GET","path":"/","response_code":200,"response_flags":"-","upstream_host":"10.0.0.1:80"}']],
    ['kong', [S.KONG_LINE]],
    ['aws-apigw', [S.APIGW_LINE]],
    ['aws-apigw', ['{"requestId":"r","httpMethod":"GET","status":"200"}']],
    ['keycloak-events', [S.KEYCLOAK_SERVER_LINE, S.KEYCLOAK_QUOTED, S.KEYCLOAK_UNQUOTED]],
    ['ocsf', [S.OCSF_AUTH, S.OCSF_API]],
    ['introspection', [S.INTROSPECTION_LINE]],
    ['introspection', ['{"active":false}']],
    ['inventory-csv', S.INVENTORY_CSV],
    ['inventory-csv', ['"NHI","fingerprint"', 'a,b']],
    ['gitleaks', S.GITLEAKS_REPORT],
    ['gitleaks', [JSON.stringify(JSON.parse(S.GITLEAKS_REPORT.join('\n')))]],
    ['trufflehog', [S.TRUFFLEHOG_LINE]],
    ['nginx-json', ['\uFEFF' + S.NGINX_JSON_REAL]],
  ])('detects %s', (format, lines) => {
    expect(detectFormat(lines)).toBe(format);
  });

  it.each([
    ['empty input', []],
    ['blank lines', ['', '  ']],
    ['prose', ['hello world', 'this is not a log']],
    ['binary garbage', ['\u0000\u0001\u0002', '\uFFFD\uFFFD']],
    ['unrelated JSON', ['{"foo":1}', '{"bar":2}']],
  ])('returns null for %s', (_name, lines) => {
    expect(detectFormat(lines)).toBeNull();
  });

  it('lets the majority win when one line looks like something else', () => {
    expect(detectFormat([S.NGINX_COMBINED_PLAIN, S.NGINX_JSON_REAL, S.NGINX_JSON_REAL])).toBe('nginx-json');
  });
});
