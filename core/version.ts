/** The Redis version Respite reports (the protocol and replies it follows). */
export const REDIS_VERSION = "7.0.15";
/** Respite's own version. */
export const RESPITE_VERSION = "0.1.0";
/** What INFO's `redis_version` and HELLO's `version` report. */
export const VERSION = REDIS_VERSION;
