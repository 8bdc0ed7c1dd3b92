import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { clientAddress } from './lib/client-address.js';
import { UNLIMITED_PATHS } from './lib/rate-limit.js';
import proxyAddr from '@fastify/proxy-addr';
import { loggerOptions } from './lib/logger.js';
import { Problem, unknownParameters } from './lib/schemas.js';
import { acceptedRequestId } from './lib/request-id.js';
import { responseSerializerCompiler } from './lib/serializer.js';
import { AnchorLog } from './modules/audit/anchors.js';
import { auditRoutes } from './modules/audit/routes.js';
import { certificatesRoutes } from './modules/certificates/routes.js';
import { consentsRoutes } from './modules/consents/routes.js';
import { coordinationRoutes } from './modules/coordination/routes.js';
import { sickLeavesRoutes } from './modules/sick-leaves/routes.js';
import { authPlugin } from './plugins/auth.js';
import { docsPlugin } from './plugins/docs.js';
import { clientErrorHandler, errorsPlugin, limitedFrameworkErrors, notFound, RouteMethods } from './plugins/errors.js';
import { describeError, ServiceUnavailable, ValidationFailed } from './lib/errors.js';
import { healthPlugin } from './plugins/health.js';
import { jsonBodyPlugin } from './plugins/json-body.js';
import { metricsPlugin, metricsScraperCheck } from './plugins/metrics.js';
import { securityHeadersPlugin } from './plugins/security-headers.js';
import { createServices, type Services } from './services.js';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
    config: Readonly<Config>;
    database: Database;
  }
}

export interface AppOptions {
  config: Readonly<Config>;
  database: Database;
  /** A ready pino logger (tests pass one that captures output); otherwise one is made from the config. */
  logger?: Logger;
}

const NO_QUERY = z.strictObject({}, unknownParameters());
const URI_TOO_LONG = Problem.describe('A path parameter is longer than 200 characters (type …/uri-too-long)');

/** Builds the whole app from config and a database; it neither listens nor reads the environment. */
export async function buildApp({ config, database, logger }: AppOptions): Promise<FastifyInstance> {
  const metricsScraper = metricsScraperCheck(config.metricsToken);
  // The proxies whose X-Forwarded-For names the client, as Fastify's trustProxy compiles them.
  const trusted = config.trustProxy ? proxyAddr.compile(config.trustProxy) : undefined;
  let limitBeforeRouting: ((request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) | undefined;
  const base: FastifyServerOptions = {
    bodyLimit: config.bodyLimitBytes,
    // Behind a load balancer every request came from it, so all clients shared one rate-limit bucket and logged the
    // balancer's address; the proxies named here are believed about the client's address (X-Forwarded-For).
    trustProxy: config.trustProxy,
    // On close: refuse new connections, let in-flight requests finish, and drop idle keep-alive sockets at once.
    forceCloseConnections: 'idle',
    // No implicit HEAD routes: a HEAD on a patient-data GET would read (and audit) without showing anything.
    exposeHeadRoutes: false,
    // Fastify's own 503 while closing is a fixed JSON body; the hook below answers problem+json instead.
    return503OnClosing: false,
    // Accept a caller's x-request-id when it is a UUID that holds no personal identity number; otherwise make one.
    genReqId: (req) => acceptedRequestId(req.headers['x-request-id']),
    routerOptions: { maxParamLength: 200 },
    // A request must have arrived whole within REQUEST_TIMEOUT_MS (408), else a client sending a body a byte at a
    // time held its socket for ever: Fastify turns Node's timeout off by default. Node checks for it only every
    // connectionsCheckingInterval (30 s by default), so that is bounded too; headers are a part of the request.
    requestTimeout: config.requestTimeoutMs,
    // (Passed to http.createServer; FastifyServerOptions does not type it for a plain HTTP server.)
    ...({
      http: {
        connectionsCheckingInterval: Math.min(5_000, config.requestTimeoutMs),
        headersTimeout: Math.min(60_000, config.requestTimeoutMs),
      },
    } as object),
    // Counted by the rate limit, registered below (before it is, as without one).
    frameworkErrors: limitedFrameworkErrors(() => limitBeforeRouting, trusted && ((raw) => proxyAddr(raw, trusted))),
    clientErrorHandler,
  };
  const app = (logger
    ? Fastify({ ...base, loggerInstance: logger as FastifyBaseLogger })
    : Fastify({ ...base, logger: loggerOptions(config.logLevel) })
  ).withTypeProvider<ZodTypeProvider>() as unknown as FastifyInstance;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler);
  // JSON only: anything else is 415 rather than a string handed to a schema.
  app.removeContentTypeParser('text/plain');
  await app.register(jsonBodyPlugin);

  app.decorate('config', config);
  app.decorate('database', database);
  app.decorate(
    'services',
    createServices(database, config, (err) =>
      // The message and the driver's SQLSTATE (on drizzle's error or its cause): what an operator needs, no rows.
      app.log.warn(
        {
          err: {
            message: describeError(err),
            code: (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code,
          },
        },
        'audit sealing failed; retrying',
      ),
    ),
  );
  // Audit events are sealed into their hash chain in the background; on close the rest is sealed before the database closes.
  const anchors = new AnchorLog(
    () => app.services.audit.chainHeads(),
    // At info; with LOG_LEVEL above it, at that level, so that the anchors are still written (they are the point):
    // only LOG_LEVEL=silent writes none.
    (auditAnchors) => {
      const log = app.log as unknown as Logger;
      const level = log.isLevelEnabled('info') ? 'info' : log.level;
      if (level !== 'silent') log[level as 'info']({ auditAnchors }, 'audit chain heads');
    },
    (err) => app.log.warn({ err: { message: describeError(err) } }, 'logging the audit chain heads failed'),
    config.auditAnchorIntervalMs,
  );
  app.addHook('onReady', async () => {
    app.services.audit.sealer.start();
    anchors.start();
  });
  app.addHook('onClose', async () => {
    await app.services.audit.sealer.stop();
    await anchors.stop();
  });

  await app.register(errorsPlugin);
  // Requests that still arrive while closing (pipelined, or on a keep-alive connection that was busy) are answered 503
  // with Retry-After and the connection closed, so that the client sends them again to another process.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // Callback-style hooks on the hot path: an async hook costs a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (closing) {
      reply.header('connection', 'close');
      done(new ServiceUnavailable('The service is shutting down; retry shortly'));
      return;
    }
    done();
  });
  await app.register(securityHeadersPlugin);
  // Only with origins to allow: registered with none, the plugin still ran a hook on every request to add nothing.
  if (config.corsOrigins.length > 0) {
    // The plugin answers an OPTIONS that is not a whole preflight with a text/plain 400 of its own; this answers it
    // first, as problem+json naming what is missing.
    app.addHook('onRequest', (request, _reply, done) => {
      if (request.method !== 'OPTIONS') return done();
      const missing = (['origin', 'access-control-request-method'] as const).filter((h) => !request.headers[h]);
      if (missing.length === 0) return done();
      done(
        new ValidationFailed(
          'An OPTIONS request is a CORS preflight: it needs Origin and Access-Control-Request-Method',
          missing.map((h) => ({ path: `headers.${h}`, message: 'is required in a preflight' })),
        ),
      );
    });
    await app.register(cors, {
      origin: config.corsOrigins,
      // The plugin's default leaves out PATCH, which an effort's update is; and a browser shows a script only the
      // headers named here, of which a client needs these to retry, to quote a request and to update conditionally.
      methods: ['GET', 'POST', 'PATCH'],
      exposedHeaders: ['retry-after', 'x-request-id', 'etag', 'location'],
    });
  }
  // Registered before authentication (which runs in preHandler), so requests with a bad token count too.
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    keyGenerator: (request) => clientAddress(request),
    // Probes and the metrics scraper are not limited: a scraper behind the same NAT as busy clients lost its scrapes.
    // Exactly these paths: any other under /health/ is a probe for routes, which counts.
    // With METRICS_TOKEN, only a scrape with it: a wrong token counts, as any failed authentication does.
    allowList: (request) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      const path = request.url.split('?')[0] ?? '';
      return UNLIMITED_PATHS.has(path) && (path !== '/metrics' || metricsScraper(request.headers.authorization));
    },
  });
  // Fastify's not-found handler skips the plugin's hook: without this, probing for routes cost nothing.
  limitBeforeRouting = app.rateLimit();
  const routeMethods = new RouteMethods();
  app.addHook('onRoute', (route) => routeMethods.add(route.url, route.method));
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, notFound(routeMethods, config.docsEnabled));
  await app.register(underPressure, {
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    retryAfter: 2,
    exposeStatusRoute: false,
  });
  // The contract first: it sees only routes declared after it (/metrics was missing from it).
  await app.register(docsPlugin, { enabled: config.docsEnabled });
  await app.register(metricsPlugin, { database, token: config.metricsToken });
  await app.register(authPlugin, { jwt: config.jwt });
  await app.register(healthPlugin, {
    database,
    auditSealingFailing: () => app.services.audit.sealingFailing(),
  });

  // An API route without query parameters refuses any, as the others refuse the ones they lack: a name or a filter
  // put into its URL by mistake is a 400 naming it, not ignored (the search by name once took a `?q=` and answered the
  // unfiltered page).
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/v1/') && route.schema && !route.schema.querystring) route.schema.querystring = NO_QUERY;
    // A path parameter over the router's maxParamLength is refused before routing (frameworkErrors): in the contract.
    if (route.url.startsWith('/v1/') && route.url.includes(':') && route.schema?.response) {
      (route.schema.response as Record<number, unknown>)[414] ??= URI_TOO_LONG;
    }
  });
  // A parameter given as nothing (`maxDays=`, as a form or a template sends an empty field) counts as not given, as an
  // empty environment variable does: read as a number it was 0, and `maxDays=` answered an empty list.
  // Only a parameter the operation has: one it does not have stays, to be refused as any unknown one is (an empty
  // `?191212121212` or `?q=%20` on the GET was dropped and the unfiltered answer given, a personnummer in its URL).
  app.addHook('preValidation', (request, _reply, done) => {
    const query = request.query as Record<string, unknown> | undefined;
    const declared = (request.routeOptions.schema?.querystring as { shape?: Record<string, unknown> } | undefined)
      ?.shape;
    if (query && typeof query === 'object' && declared) {
      // Every parameter takes one value: `limit=1&limit=2` was told "must be a whole number in digits".
      const repeated = Object.keys(query).filter((name) => Array.isArray(query[name]) && Object.hasOwn(declared, name));
      if (repeated.length > 0) {
        return done(
          new ValidationFailed(
            `A query parameter is given more than once: ${repeated.join(', ')}`,
            repeated.map((name) => ({
              path: `query.${name}`,
              message: 'is given more than once (it takes one value)',
            })),
          ),
        );
      }
      for (const [name, value] of Object.entries(query))
        if (typeof value === 'string' && value.trim() === '' && Object.hasOwn(declared, name)) delete query[name];
    }
    done();
  });
  await app.register(certificatesRoutes);
  await app.register(sickLeavesRoutes);
  await app.register(consentsRoutes);
  await app.register(coordinationRoutes);
  await app.register(auditRoutes);
  return app;
}
