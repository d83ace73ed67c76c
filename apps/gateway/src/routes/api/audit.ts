import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AuditQuerySchema, type AuditPage } from '@socklab/shared'

/** GET /api/audit (instructor): who started, stopped, sent or uploaded what, and when. */
const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/audit', { schema: { querystring: AuditQuerySchema } }, async (req): Promise<AuditPage> => ({
    entries: app.access.audit.after(req.query.after ?? 0, req.query.limit ?? 1000),
    headSeq: app.access.audit.headSeq,
  }))
}

export default auditRoutes
