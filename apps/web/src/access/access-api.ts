import type { AuditPage, Classroom, EndpointDetail, JoinBody, PersonInfo, PolicyPatch, SessionInfo } from '@socklab/shared'
import { request } from '../api/client.ts'

const enc = encodeURIComponent

/** Login and the instructor's classroom controls (people, policy, sharing, audit). */
export const accessApi = {
  me: () => request<SessionInfo>('GET', '/api/auth/me'),
  login: (token: string) => request<SessionInfo>('POST', '/api/auth/login', { token }),
  join: (body: JoinBody) => request<SessionInfo>('POST', '/api/auth/join', body),
  logout: () => request<void>('POST', '/api/auth/logout'),
  classroom: () => request<Classroom>('GET', '/api/people'),
  revoke: (personId: string) => request<PersonInfo>('POST', `/api/people/${enc(personId)}/revoke`),
  setRole: (personId: string, role: 'student' | 'observer') => request<PersonInfo>('PATCH', `/api/people/${enc(personId)}`, { role }),
  updatePolicy: (patch: PolicyPatch) => request<Classroom>('PUT', '/api/people/policy', patch),
  share: (endpointId: string, shared: boolean) => request<EndpointDetail>('POST', `/api/endpoints/${enc(endpointId)}/share`, { shared }),
  audit: (after = 0) => request<AuditPage>('GET', `/api/audit?after=${after}&limit=1000`),
}
