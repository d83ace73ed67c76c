import { shallowRef } from 'vue'
import type { ErrorInfo } from '@socklab/shared'
import { errorInfoOf } from '../api/client.ts'

/**
 * One user action (a form submit, a button) with its own pending flag and error, so the error is shown
 * next to what the user clicked.
 */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const pending = shallowRef(false)
  const error = shallowRef<ErrorInfo | null>(null)
  async function run(...args: A): Promise<R | undefined> {
    pending.value = true
    error.value = null
    try {
      return await fn(...args)
    } catch (err) {
      error.value = errorInfoOf(err)
      return undefined
    } finally {
      pending.value = false
    }
  }
  return { run, pending, error, clear: () => (error.value = null) }
}
