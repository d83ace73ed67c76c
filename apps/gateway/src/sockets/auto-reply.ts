import type { Reply } from '@socklab/shared'
import { encodeText, upperCase } from './payload.ts'

export interface ReplyPlan {
  /** Bytes to answer a received chunk with, or null for none. */
  answer(chunk: Buffer): Buffer | null
  /** Close (TCP: FIN) after the first answer. */
  closeAfter: boolean
}

/** The tutorial servers' behaviours: echo, upper-case echo, fixed text (e.g. `thank you !`, `已送达`). */
export function replyPlan(reply: Reply | undefined, encoding = 'utf-8'): ReplyPlan | null {
  if (!reply || reply.mode === 'none') return null
  const closeAfter = reply.close === true
  switch (reply.mode) {
    case 'echo':
      return { answer: (chunk) => chunk, closeAfter }
    case 'upper':
      return { answer: (chunk) => upperCase(chunk, encoding), closeAfter }
    case 'fixed': {
      const bytes = encodeText(reply.text ?? '', encoding)
      return { answer: () => bytes, closeAfter }
    }
  }
}
