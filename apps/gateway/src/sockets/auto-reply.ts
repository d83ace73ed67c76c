import type { Reply } from '@socklab/shared'
import { encodeText, upperCase, UpperCaseStream } from './payload.ts'
import type { TcpConnection, TcpConnectionOptions } from './tcp-connection.ts'

/** Answers for one byte stream (a TCP connection); may hold back bytes between chunks. */
export interface StreamReply {
  /** Bytes to answer a received chunk with, or null for none (yet). */
  answer(chunk: Buffer): Buffer | null
  /** The stream ended: bytes still owed (held back until now), or null. */
  end(): Buffer | null
}

export interface ReplyPlan {
  /** Bytes to answer a received chunk that stands alone (a UDP datagram) with, or null for none. */
  answer(chunk: Buffer): Buffer | null
  /** The answers for one TCP connection: call once per connection (upper-case keeps a split character between reads). */
  stream(): StreamReply
  /** Close (TCP: FIN) after the first answer. */
  closeAfter: boolean
}

/** The tutorial servers' behaviours: echo, upper-case echo, fixed text (e.g. `thank you !`, `已送达`). */
export function replyPlan(reply: Reply | undefined, encoding = 'utf-8'): ReplyPlan | null {
  if (!reply || reply.mode === 'none') return null
  const closeAfter = reply.close === true
  switch (reply.mode) {
    case 'echo':
      return stateless((chunk) => chunk, closeAfter) // zero-copy: the echo is on the benchmarked path
    case 'upper':
      return { answer: (chunk) => upperCase(chunk, encoding), stream: () => new UpperCaseStream(encoding), closeAfter }
    case 'fixed': {
      const bytes = encodeText(reply.text ?? '', encoding)
      return stateless(() => bytes, closeAfter)
    }
  }
}

function stateless(answer: (chunk: Buffer) => Buffer | null, closeAfter: boolean): ReplyPlan {
  const stream: StreamReply = { answer, end: () => null }
  return { answer, stream: () => stream, closeAfter }
}

/** The TcpConnection hooks that answer one connection by the plan (call per connection: it holds that connection's state). */
export function replyHooks(plan: ReplyPlan | null): Pick<TcpConnectionOptions, 'onData' | 'onEnd'> {
  if (!plan) return {}
  const stream = plan.stream()
  const send = (c: TcpConnection, answer: Buffer | null) => {
    if (answer && c.writable) c.write(answer, 'reply')
  }
  return {
    onData: plan.closeAfter
      ? (chunk, c) => {
          // Closing after this answer: a character still incomplete goes out now, byte for byte.
          const answer = stream.answer(chunk)
          const rest = stream.end()
          send(c, answer && rest ? Buffer.concat([answer, rest]) : (answer ?? rest))
          c.end()
        }
      : (chunk, c) => send(c, stream.answer(chunk)),
    // The peer's FIN: answer what was held back (byte for byte) before our own FIN.
    onEnd: (c) => send(c, stream.end()),
  }
}
