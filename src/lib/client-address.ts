import { isIP } from 'node:net';

const V4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const V6_WITH_PORT = /^\[([0-9a-fA-F:.]+)\]:\d{1,5}$/;

/**
 * The client's address as the rate limit counts it and the log shows it: the request's ip (the socket's, or the
 * one a trusted proxy named in X-Forwarded-For) when it is an address, without a port a proxy may append
 * (`198.51.100.7:51234` gave every connection a bucket of its own); anything else a proxy passed on (a name, a
 * personal identity number typed into the header) is not an address, and the proxy's own is taken.
 */
export function clientAddress(request: { ip: string; socket?: { remoteAddress?: string } }): string {
  const ip = request.ip;
  if (isIP(ip)) return ip;
  const withPort = V4_WITH_PORT.exec(ip)?.[1] ?? V6_WITH_PORT.exec(ip)?.[1];
  if (withPort && isIP(withPort)) return withPort;
  return request.socket?.remoteAddress ?? 'unknown';
}
