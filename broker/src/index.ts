/** Public API of the broker package. */
export { startBroker, DEFAULT_BROKER_HOST, type BrokerHandle, type BrokerOptions } from './broker.js';
export * from './credentials.js';
export {
  CredentialStore,
  DEFAULT_AUTH_CACHE_MAX_ENTRIES,
  DEFAULT_AUTH_CACHE_TTL_MS,
  DEFAULT_MAX_CONCURRENT_VERIFICATIONS,
  DEFAULT_MAX_QUEUED_VERIFICATIONS,
  DEFAULT_POLL_INTERVAL_MS,
  type CredentialStoreOptions,
  type VerifyResult,
} from './credential-store.js';
export { checkPublish, checkSubscribe, checkWill, SERVER_PUBLISH_LEAVES, type AclDecision, type DenyReason, type Principal } from './acl.js';
export { DEFAULT_MAX_CONNECTIONS, DEFAULT_WS_MAX_PAYLOAD, TlsFilesError } from './listeners.js';
export { DEFAULT_LIMITS, resolveLimits, type BrokerLimits, type LimitsInput, type RateLimit } from './limits.js';
export { DEFAULT_REDIS_PACKET_TTL_S } from './persistence.js';
export { readBrokerSettings, SettingsError, type BrokerSettings } from './settings.js';
