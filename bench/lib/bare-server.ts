/**
 * The HTTP ceiling: a bare Fastify process that answers every route with one fixed JSON body (read from BARE_BODY_FILE), after
 * parsing the request body like the service does. No auth, no validation, no database.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const body = process.env.BARE_BODY_FILE ? readFileSync(process.env.BARE_BODY_FILE, 'utf8') : '{}';
const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
app.get('/ready', async () => ({ ok: true }));
app.all('/*', async (_req, reply) => reply.type('application/json; charset=utf-8').send(body));
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
