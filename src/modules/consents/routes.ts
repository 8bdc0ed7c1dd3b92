import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const consentsRoutes: FastifyPluginAsyncZod = async (_app) => {};
