import { isIP } from 'node:net';

const V4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const V6_WITH_PORT = /^\[([0-9a-fA-F:.]+)\](?::\d{1,5})?$/;
const V4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/;

/**
 * The client's address as the rate limit counts it and the log shows it: the request's ip (the socket's, or the
 * one a trusted proxy named in X-Forwarded-For) when it is an address, without a port a proxy may append
 * (`198.51.100.7:51234` gave every connection a bucket of its own), in one spelling (IPv6 in lower case, an IPv4
 * mapped into IPv6 as IPv4); anything else a proxy passed on (a name, a personal identity number typed into the
 * header, an IPv6 zone id: `fe80::1%191212121212` is an address to Node) is not taken, and the proxy's own is.
 */
export function clientAddress(request: { ip: string; socket?: { remoteAddress?: string } }): string {
  return (
    normalised(request.ip) ??
    normalised(request.socket?.remoteAddress ?? '') ??
    request.socket?.remoteAddress ??
    'unknown'
  );
}

function normalised(value: string): string | undefined {
  const bare = V4_WITH_PORT.exec(value)?.[1] ?? V6_WITH_PORT.exec(value)?.[1] ?? value;
  if (bare.includes('%') || !isIP(bare)) return undefined;
  const lower = bare.toLowerCase();
  return V4_MAPPED.exec(lower)?.[1] ?? lower;
}
