import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import type { SessionInfo } from '@socklab/shared'
import { accessApi } from './access-api.ts'

/** Who this browser is (from /api/auth/me), and what that allows in the panel. */
export const useAccessStore = defineStore('access', () => {
  const info = shallowRef<SessionInfo | null>(null)
  /** Set when a session that was working stops working (revoked, logged out elsewhere, gateway restarted). */
  const sessionEnded = shallowRef(false)

  const user = computed(() => info.value?.user ?? null)
  const authOn = computed(() => info.value?.auth ?? false)
  const needsLogin = computed(() => info.value?.auth === true && !info.value.user)
  const isInstructor = computed(() => user.value?.role === 'instructor')
  /** Observers watch; everyone else may change things (the gateway checks again). */
  const canChange = computed(() => !!user.value && user.value.role !== 'observer')
  /** May create endpoints: not observers. Auth off (or not known yet): yes; the gateway checks again anyway. */
  const canCreate = computed(() => !authOn.value || canChange.value)

  /**
   * May use this endpoint (send, its actions, close connections, stop it), as the gateway decides: the
   * instructor any, a student their own, an observer none. `owner` is the owner's name, which is unique in
   * a class for the gateway's life (revoked names are not given out again).
   */
  function canControl(endpoint: { owner?: string }): boolean {
    if (!authOn.value) return true
    const u = user.value
    if (!u || u.role === 'observer') return false
    return u.role === 'instructor' || (endpoint.owner !== undefined && endpoint.owner === u.name)
  }

  async function load() {
    info.value = await accessApi.me()
  }

  /** Ask again after the live link dropped: the reason may be that this person lost access. */
  async function recheck() {
    const had = user.value
    const now = await accessApi.me().catch(() => null)
    if (!now) return
    info.value = now
    if (had && now.auth && !now.user) sessionEnded.value = true
  }

  async function logout() {
    await accessApi.logout()
    info.value = { auth: true, user: null }
  }

  return { info, user, authOn, needsLogin, isInstructor, canChange, canCreate, canControl, sessionEnded, load, recheck, logout }
})
