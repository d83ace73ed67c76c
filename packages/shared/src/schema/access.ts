import { Type, type Static } from 'typebox'

/**
 * Classroom access: who may open sockets and who may only watch. The gateway validates every body
 * below at its edge; the panel uses the same types.
 *
 * instructor — everything (every endpoint, the files area, people, audit);
 * student    — creates and uses only their own endpoints (within the class policy), sees shared ones;
 * observer   — watches shared endpoints, changes nothing.
 */
export const RoleSchema = Type.Union([Type.Literal('instructor'), Type.Literal('student'), Type.Literal('observer')])
export type Role = Static<typeof RoleSchema>

/** A display name: visible characters, no control codes; unique (case-insensitive) among people. */
export const PersonNameSchema = Type.String({ minLength: 1, maxLength: 40, pattern: '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$' })

export const UserSchema = Type.Object({ id: Type.String(), name: Type.String(), role: RoleSchema })
export type User = Static<typeof UserSchema>

/** POST /api/auth/login — the instructor token (the one printed at start, or SOCKLAB_TOKEN). */
export const LoginBodySchema = Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false })
export type LoginBody = Static<typeof LoginBodySchema>

/** POST /api/auth/join — a student (or an observer) joins with the class code and a display name. */
export const JoinBodySchema = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 64 }),
    name: PersonNameSchema,
    role: Type.Optional(Type.Union([Type.Literal('student'), Type.Literal('observer')], { default: 'student' })),
  },
  { additionalProperties: false },
)
export type JoinBody = Static<typeof JoinBodySchema>

/** GET /api/auth/me (also the answer to login/join): whether auth is on and who this browser is. */
export const SessionInfoSchema = Type.Object({
  auth: Type.Boolean(),
  user: Type.Union([UserSchema, Type.Null()]),
})
export type SessionInfo = Static<typeof SessionInfoSchema>

/** What the instructor sets for students. */
export const ClassPolicySchema = Type.Object(
  {
    /** Students may bind (listen on) only ports in this range. */
    studentPortMin: Type.Integer({ minimum: 1, maximum: 65535 }),
    studentPortMax: Type.Integer({ minimum: 1, maximum: 65535 }),
    /** Endpoints one student may have at once. */
    maxEndpointsPerStudent: Type.Integer({ minimum: 0, maximum: 1000 }),
  },
  { additionalProperties: false },
)
export type ClassPolicy = Static<typeof ClassPolicySchema>

/** PUT /api/people/policy — change some of the policy; `rotateClassCode` makes a new code (the old one stops working). */
export const PolicyPatchSchema = Type.Object(
  {
    studentPortMin: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    studentPortMax: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    maxEndpointsPerStudent: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    rotateClassCode: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type PolicyPatch = Static<typeof PolicyPatchSchema>

export const PersonInfoSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  joinedAt: Type.Number(),
  lastSeenAt: Type.Number(),
  /** Live WebSocket connections (the panel open) right now. */
  sockets: Type.Integer(),
  online: Type.Boolean(),
  /** Endpoints this person owns now. */
  endpoints: Type.Integer(),
  revoked: Type.Boolean(),
})
export type PersonInfo = Static<typeof PersonInfoSchema>

/** GET /api/people (instructor): the class code, the policy and everyone who joined. */
export const ClassroomSchema = Type.Object({
  classCode: Type.String(),
  policy: ClassPolicySchema,
  people: Type.Array(PersonInfoSchema),
})
export type Classroom = Static<typeof ClassroomSchema>

/** PATCH /api/people/:id — move a person between student and observer. */
export const PersonPatchSchema = Type.Object(
  { role: Type.Union([Type.Literal('student'), Type.Literal('observer')]) },
  { additionalProperties: false },
)
export type PersonPatch = Static<typeof PersonPatchSchema>

/** POST /api/endpoints/:id/share (instructor) — show or hide an endpoint's live view to the class. */
export const ShareBodySchema = Type.Object({ shared: Type.Boolean() }, { additionalProperties: false })
export type ShareBody = Static<typeof ShareBodySchema>

export const AuditOutcomeSchema = Type.Union([Type.Literal('ok'), Type.Literal('denied'), Type.Literal('failed')])

/** One line of the audit log: who did what to what, when, and how it ended. Never holds secrets or payload bytes. */
export const AuditEntrySchema = Type.Object({
  seq: Type.Integer(),
  ts: Type.Number(),
  actor: Type.Object({ id: Type.String(), name: Type.String(), role: Type.Union([RoleSchema, Type.Literal('anonymous')]) }),
  /** e.g. login, join, endpoint.create, endpoint.stop, endpoint.send, person.revoke, files.upload */
  action: Type.String(),
  /** An endpoint id, person id or path. */
  target: Type.Optional(Type.String()),
  detail: Type.Optional(Type.String()),
  outcome: AuditOutcomeSchema,
  status: Type.Optional(Type.Integer()),
  ip: Type.Optional(Type.String()),
})
export type AuditEntry = Static<typeof AuditEntrySchema>

export const AuditQuerySchema = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
  },
  { additionalProperties: false },
)
export const AuditPageSchema = Type.Object({ entries: Type.Array(AuditEntrySchema), headSeq: Type.Integer() })
export type AuditPage = Static<typeof AuditPageSchema>
