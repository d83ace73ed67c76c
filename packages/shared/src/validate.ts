import type { TSchema, Static } from 'typebox'
import { Compile } from 'typebox/compile'
import type { ErrorInfo } from './schema/common.ts'

export type Validated<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo }

const cache = new WeakMap<TSchema, ReturnType<typeof Compile>>()

/** The field an error is about, as a dotted path (`reply.mode`, `port`). */
function fieldOf(e: { instancePath: string; params?: Record<string, unknown> }): string {
  const extra = e.params?.['additionalProperties'] ?? e.params?.['requiredProperties']
  const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.')
  if (Array.isArray(extra) && extra.length) return [path, String(extra[0])].filter(Boolean).join('.')
  return path
}

/**
 * Validate untrusted input (REST body or WebSocket frame) against a shared schema.
 * The error names the field so a person knows what to fix; the value is never changed.
 */
export function validate<S extends TSchema>(schema: S, value: unknown): Validated<Static<S>> {
  let v = cache.get(schema)
  if (!v) {
    v = Compile(schema)
    cache.set(schema, v)
  }
  if (v.Check(value)) return { ok: true, value: value as Static<S> }
  const errors = v.Errors(value) as Array<{ instancePath: string; message: string; keyword: string; params?: Record<string, unknown> }>
  // Prefer the most specific error: one with a path, not the "schema is false" echo of additionalProperties.
  const best = errors.find((e) => e.keyword !== 'boolean' && e.instancePath) ?? errors.find((e) => e.keyword !== 'boolean') ?? errors[0]
  const field = best ? fieldOf(best) : ''
  const message = best
    ? best.keyword === 'additionalProperties'
      ? `unknown field "${field}"`
      : `${field || 'body'} ${best.message}`
    : 'invalid input'
  return { ok: false, error: { code: 'EVALIDATION', message, field: field || undefined } }
}
