import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const sickLeavesRoutes: FastifyPluginAsyncZod = async (_app) => {};
