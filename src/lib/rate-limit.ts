/**
 * Paths whose GET and HEAD the rate limit lets through: the probes, and the metrics scrape (with METRICS_TOKEN only a
 * scrape that sends it; see app.ts). Every other request counts, and its answer carries the limit's x-ratelimit-*
 * headers (but for a 408 or 431, which the HTTP parser sends before any hook).
 */
export const UNLIMITED_PATHS: ReadonlySet<string> = new Set(['/health/live', '/health/ready', '/metrics']);
