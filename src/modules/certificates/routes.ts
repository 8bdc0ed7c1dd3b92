import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const certificatesRoutes: FastifyPluginAsyncZod = async (_app) => {};
