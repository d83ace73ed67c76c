import { REPLY_ANSWER_MAX_BYTES, REPLY_MATCH_MAX_BYTES, type Reply, type ReplyRule, type SendEncoding } from '@socklab/shared'
import { encodePayload, encodeText, upperCase, UpperCaseStream } from './payload.ts'
import { SocketError } from './socket-error.ts'
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
  /** Close (TCP: FIN) after the first answer (a chunk answered with nothing does not count). */
  closeAfter: boolean
}

/**
 * The tutorial servers' behaviours: echo, upper-case echo, fixed text (e.g. `thank you !`, `已送达`); or rules, as
 * device simulators answer. Throws a SocketError naming the field when a rule cannot be read (call it at create).
 */
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
    case 'rules':
      return stateless(rulesAnswer(reply, encoding), closeAfter)
  }
}

/**
 * The answer function of `mode: 'rules'`: rules compiled once into bytes, each with its own test; per chunk only
 * Buffer compares run. The first rule that matches answers; none matching, `otherwise` (nothing, or the chunk back).
 */
function rulesAnswer(reply: Reply, encoding: string): (chunk: Buffer) => Buffer | null {
  const rules = reply.rules ?? []
  if (rules.length === 0) throw new SocketError('EVALIDATION', 'reply.rules: mode "rules" needs at least one rule', 'reply.rules')
  const compiled = rules.map((rule, i) => compileRule(rule, i, encoding))
  const echo = reply.otherwise === 'echo'
  return (chunk) => {
    for (const r of compiled) if (r.test(chunk)) return r.answer
    return echo ? chunk : null
  }
}

interface CompiledRule {
  test: (chunk: Buffer) => boolean
  /** null: the rule answers nothing (an empty answer). */
  answer: Buffer | null
}

function compileRule(rule: ReplyRule, i: number, encoding: string): CompiledRule {
  const at = `reply.rules.${i}`
  const pattern = ruleBytes(rule.match, rule.matchFormat, encoding, `${at}.match`)
  if (pattern.length === 0) throw new SocketError('EVALIDATION', `${at}.match is empty: a rule needs at least one byte to look for`, `${at}.match`)
  if (pattern.length > REPLY_MATCH_MAX_BYTES) {
    throw new SocketError('EVALIDATION', `${at}.match is ${pattern.length} bytes; at most ${REPLY_MATCH_MAX_BYTES}`, `${at}.match`)
  }
  const answer = ruleBytes(rule.answer, rule.answerFormat, encoding, `${at}.answer`, rule.checksum)
  if (answer.length > REPLY_ANSWER_MAX_BYTES) {
    throw new SocketError('EVALIDATION', `${at}.answer is ${answer.length} bytes; at most ${REPLY_ANSWER_MAX_BYTES}`, `${at}.answer`)
  }
  const n = pattern.length
  const test =
    rule.how === 'equals' ? (chunk: Buffer) => chunk.equals(pattern)
    : rule.how === 'starts' ? (chunk: Buffer) => chunk.length >= n && chunk.compare(pattern, 0, n, 0, n) === 0
    : (chunk: Buffer) => chunk.indexOf(pattern) !== -1
  return { test, answer: answer.length > 0 ? answer : null }
}

/** A rule's text (in the endpoint's encoding) or hex as bytes, through the send box's encoder; errors name `field`. */
function ruleBytes(data: string, format: ReplyRule['matchFormat'], encoding: string, field: string, checksum?: ReplyRule['checksum']): Buffer {
  try {
    // An empty answer stays empty: no checksum of nothing.
    return encodePayload(data, format === 'hex' ? 'hex' : (encoding as SendEncoding), 'none', data ? checksum : 'none')
  } catch (err) {
    const e = err as { code?: string; message?: string }
    const how = format === 'hex' ? 'hex' : encoding
    throw new SocketError(e.code ?? 'EVALIDATION', `${field}: cannot read it as ${how}: ${e.message?.replace(/^cannot read data as \S+: /, '')}`, field)
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
          // Rules may answer a chunk with nothing: the connection stays open until one answers.
          if (!answer && !rest) return
          send(c, answer && rest ? Buffer.concat([answer, rest]) : (answer ?? rest))
          c.end()
        }
      : (chunk, c) => send(c, stream.answer(chunk)),
    // The peer's FIN: answer what was held back (byte for byte) before our own FIN.
    onEnd: (c) => send(c, stream.end()),
  }
}
