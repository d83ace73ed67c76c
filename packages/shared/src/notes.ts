import type { Say } from './schema/common.ts'

/**
 * The texts the gateway writes into `note` and `fault` events, one table per feature, in English.
 * An event carries `say: { key, params }` (e.g. `relay.latency`, `{ way: 'toTarget', ms: 300 }`) and
 * `text`, rendered from the template here: the English of scripts, the REST API and the disk log.
 * The panel uses these same templates as its `en` strings (`notes.<key>`) and has a zh-CN string for
 * every key, so a viewer reads each line in the page's language and the two Englishes cannot drift.
 *
 * Templates hold `{name}` placeholders only (vue-i18n syntax: no `@`, `|`, `{` or `}` of their own, and
 * no `<`: vue-i18n warns of HTML; such text goes in as a param).
 * A param named in NOTE_WORDS (`way`, `side`) carries the machine value (`toTarget`, `client`) and is
 * shown as its word.
 */

/** HTTP refusal reasons, also logged on their own as the rejected request's reason. */
export const HTTP_REJECT_REASONS = {
  requestTimeout: 'the request did not arrive in time (headers within {headersMs} ms, whole request within {requestMs} ms)',
  headersTooLarge: 'request headers are too large',
  badRequest: 'not valid HTTP: {error}',
} as const

export const NOTES = {
  server: {
    stopped: 'stopped listening; connected clients keep talking',
    refused: 'refused {peer}: already {open} connections (limit {limit}); {refused} refused so far',
    idleClosed: 'closed {conn}: idle for {ms} ms',
  },
  transfer: {
    stopped: 'stopped listening; transfers in progress go on',
    sizeDigitsWereData: 'the header and the file\'s first bytes arrived in one piece ("0{separator}{digits}…"): the size was {size}, not {digits}',
  },
  http: {
    refused: 'refused {peer}: already {open} connections (limit {limit})',
    idleClosed: 'closed {conn}: nothing moved for {ms} ms',
    fixed: 'answering every request with a fixed {status} response',
    serving: 'serving files from {folder}',
    requestTimeout: `{status} {statusText}: ${HTTP_REJECT_REASONS.requestTimeout}; closing {conn}`,
    headersTooLarge: `{status} {statusText}: ${HTTP_REJECT_REASONS.headersTooLarge}; closing {conn}`,
    badRequest: `{status} {statusText}: ${HTTP_REJECT_REASONS.badRequest}; closing {conn}`,
  },
  relay: {
    stopped: 'stopped listening; live pairs keep relaying',
    connected: 'connected to the target {target} from local port {localPort}',
    clientFin: 'client sent FIN; passed to the target (target→client keeps flowing)',
    targetFin: 'target sent FIN; passed to the client (client→target keeps flowing)',
    clientReset: 'client reset the connection; RST passed to the target',
    targetReset: 'target reset the connection; RST passed to the client',
    faultsOff: '{way}: faults off, bytes pass straight through',
    droppedInAll: '{way}: {bytes} bytes dropped in all',
    refusing: 'refusing new connections (each gets RST)',
    accepting: 'accepting new connections again',
    // Fault events.
    latency: '{way}: every chunk held {ms} ms',
    bandwidth: '{way}: limited to {rate}',
    coalesce: '{way}: chunks arriving within {ms} ms are glued into one write (粘包)',
    split: '{way}: writes split into {bytes}-byte pieces, {gapMs} ms apart (拆包)',
    refusedByFault: 'RST sent to {peer}: the relay refuses new connections (fault)',
    refusedAtLimit: 'RST sent to {peer}: already {open} pairs open (limit {limit})',
    dropped: '{way}: {bytes} bytes dropped, the {side} side is closed',
    cutFin: 'FIN sent to the {side}; {way} bytes are dropped from now on',
    cutRst: 'RST sent to the {side}; the other side gets FIN',
  },
} as const

/** Params whose value is a word of a closed set: shown as that word (translated by the panel). */
export const NOTE_WORDS = {
  way: { toTarget: 'client→target', toClient: 'target→client' },
  side: { client: 'client', target: 'target' },
} as const

type Notes = typeof NOTES
/** `relay.latency`, `server.stopped`… */
export type NoteKey = { [F in keyof Notes]: `${F & string}.${keyof Notes[F] & string}` }[keyof Notes]
type TemplateOf<K extends NoteKey> = K extends `${infer F extends keyof Notes}.${infer N}` ? (N extends keyof Notes[F] ? Notes[F][N] : never) : never
type Placeholders<S> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never
type WordParam<P> = P extends keyof typeof NOTE_WORDS ? keyof (typeof NOTE_WORDS)[P] : string | number
export type NoteParams<K extends NoteKey> = { [P in Placeholders<TemplateOf<K>>]: WordParam<P> }

/** A text ready to spread into a note or fault event: the key + params, and the English they render to. */
export interface Saying {
  say: Say
  text: string
}

/** Fill `{name}` placeholders; a word param becomes its word. Unknown placeholders stay as they are. */
export function fillTemplate(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (!(name in params)) return whole
    const value = params[name]!
    const words = (NOTE_WORDS as Record<string, Record<string, string>>)[name]
    return words && typeof value === 'string' && value in words ? words[value]! : String(value)
  })
}

/** The English template of a key, or undefined for a key this build does not know. */
export function noteTemplate(key: string): string | undefined {
  const dot = key.indexOf('.')
  const table = (NOTES as Record<string, Record<string, string>>)[key.slice(0, dot)]
  return dot > 0 && table && Object.hasOwn(table, key.slice(dot + 1)) ? table[key.slice(dot + 1)] : undefined
}

/** Every key of the table, for checks that each has its translations. */
export function noteKeys(): NoteKey[] {
  return Object.entries(NOTES).flatMap(([f, table]) => Object.keys(table).map((n) => `${f}.${n}` as NoteKey))
}

/** A note or fault text, typed by key (params checked against the template). */
export function say<K extends NoteKey>(key: K, ...[params]: [keyof NoteParams<K>] extends [never] ? [] : [NoteParams<K>]): Saying {
  const p = params as Record<string, string | number> | undefined
  return { say: p ? { key, params: { ...p } } : { key }, text: fillTemplate(noteTemplate(key)!, p) }
}
