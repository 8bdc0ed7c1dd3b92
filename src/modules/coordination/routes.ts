import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const coordinationRoutes: FastifyPluginAsyncZod = async (_app) => {};
