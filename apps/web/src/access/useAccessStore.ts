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

  return { info, user, authOn, needsLogin, isInstructor, canChange, sessionEnded, load, recheck, logout }
})
