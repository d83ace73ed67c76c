import { createApp, type Plugin } from 'vue'
import type { SessionInfo } from '@socklab/shared'
import { accessApi } from './access-api.ts'
import LoginView from './LoginView.vue'

/**
 * Start the panel: when the gateway asks who this is, show the sign-in page first and mount the app
 * only once signed in (so the live link never knocks without a session).
 */
export async function bootWithAccess(mountApp: () => void, i18n: Plugin): Promise<void> {
  let info: SessionInfo | null = null
  try {
    info = await accessApi.me()
  } catch {
    // Gateway unreachable: the app shows that in its link status and keeps retrying.
  }
  if (!info?.auth || info.user) return mountApp()
  const login = createApp(LoginView, {
    onSignedIn: () => {
      login.unmount()
      mountApp()
    },
  }).use(i18n)
  login.mount('#app')
}
