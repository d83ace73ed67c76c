import type { ChecksumKind, ReplyFormat, ReplyMatchHow } from '@socklab/shared'

/** Form models of the built-in kinds: what the inputs hold before empty values are dropped for the API. */
export interface ReplyModel {
  mode: 'none' | 'echo' | 'upper' | 'fixed' | 'rules'
  text: string
  /** Read by the gateway only in mode `rules` (sent as typed otherwise, and ignored). */
  rules: ReplyRuleModel[]
  otherwise: 'none' | 'echo'
  close: boolean
}

/** One row of the rules table: the API's rule with every field filled in. */
export interface ReplyRuleModel {
  match: string
  matchFormat: ReplyFormat
  how: ReplyMatchHow
  answer: string
  answerFormat: ReplyFormat
  checksum: ChecksumKind
}

export interface TcpServerFormModel {
  host: string
  port: number | ''
  backlog: number | ''
  greeting: string
  reply: ReplyModel
  encoding: string
}

export interface TcpClientFormModel {
  host: string
  port: number | ''
  timeoutMs: number | ''
  reply: ReplyModel
  encoding: string
}

export interface UdpFormModel {
  host: string
  port: number | ''
  remote: { host: string; port: number | '' }
  reply: ReplyModel
  encoding: string
}

export const noReply = (): ReplyModel => ({ mode: 'none', text: '', rules: [], otherwise: 'none', close: false })

export const emptyRule = (): ReplyRuleModel => ({ match: '', matchFormat: 'text', how: 'contains', answer: '', answerFormat: 'text', checksum: 'none' })
