// Generated enforcement configurations for the gateways Holdfast reads (pure core).
export { nginxEnforcementConfig, NGINX_ENFORCE_LOG_FORMAT_NAME } from './nginx-enforcement-config.ts';
export { NGINX_DPOP_ALGS } from './nginx-njs-module.ts';
export { enforcementChecks, enforcementNotChecked } from './checks.ts';
export {
  ENFORCEMENT_MODES, ENFORCEMENT_REQUIREMENTS, type EnforcementCheck, type EnforcementMode, type EnforcementOptions, type EnforcementRequirement,
  type EnforcementScope, type EnforcementTls, type GeneratedFile, type HaproxyEnforcementConfig, type HaproxyEnforcementOptions,
  type NginxEnforcementConfig, type NginxEnforcementOptions, type RefusalReason,
} from './types.ts';
export { haproxyEnforcementConfig } from './haproxy-enforcement-config.ts';
