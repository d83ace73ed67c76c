import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { JoinBodySchema, LoginBodySchema, type SessionInfo } from '@socklab/shared'
import { LOCAL_INSTRUCTOR } from '../../access/roles.ts'
import { readCookie, SESSION_COOKIE } from '../../access/cookies.ts'
import { clearedSessionCookie, refuse, sessionCookie } from '../../plugins/app/access.ts'
import { SocketError } from '../../sockets/socket-error.ts'

/** Logging in: the instructor with the token, students and observers with the class code and a name. */
const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const access = app.access
  const authOff = () => new SocketError('EINVAL', 'auth is off on this gateway (SOCKLAB_AUTH=off): nobody needs to log in')

  app.get('/auth/me', async (req): Promise<SessionInfo> => {
    if (!access.auth) return { auth: false, user: LOCAL_INSTRUCTOR }
    return { auth: true, user: req.socklabUser ?? null }
  })

  app.post('/auth/login', { schema: { body: LoginBodySchema } }, async (req, reply) => {
    if (!access.auth) throw authOff()
    try {
      const { person, sessionId } = access.login(req.body.token, req.ip)
      req.socklabUser = { id: person.id, name: person.name, role: person.role }
      reply.header('set-cookie', sessionCookie(sessionId, req.protocol === 'https'))
      return { auth: true, user: req.socklabUser } satisfies SessionInfo
    } catch (err) {
      return refuse(reply, err)
    }
  })

  app.post('/auth/join', { schema: { body: JoinBodySchema } }, async (req, reply) => {
    if (!access.auth) throw authOff()
    try {
      const { person, sessionId } = access.join(req.body.code, req.body.name, req.body.role ?? 'student', req.ip)
      req.socklabUser = { id: person.id, name: person.name, role: person.role }
      reply.header('set-cookie', sessionCookie(sessionId, req.protocol === 'https'))
      return reply.code(201).send({ auth: true, user: req.socklabUser } satisfies SessionInfo)
    } catch (err) {
      return refuse(reply, err)
    }
  })

  app.post('/auth/logout', async (req, reply) => {
    const sessionId = readCookie(req.headers.cookie, SESSION_COOKIE)
    if (sessionId) access.sessions.end(sessionId)
    return reply.code(204).header('set-cookie', clearedSessionCookie()).send()
  })
}

export default authRoutes
