/**
 * Paths whose GET and HEAD the rate limit lets through: the probes, and the metrics scrape (with METRICS_TOKEN only a
 * scrape that sends it; see app.ts). Every other answer counts, and carries the limit's x-ratelimit-* headers.
 */
export const UNLIMITED_PATHS: ReadonlySet<string> = new Set(['/health/live', '/health/ready', '/metrics']);
