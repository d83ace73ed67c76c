/** Form models of the built-in kinds: what the inputs hold before empty values are dropped for the API. */
export interface ReplyModel {
  mode: 'none' | 'echo' | 'upper' | 'fixed'
  text: string
  close: boolean
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

export const noReply = (): ReplyModel => ({ mode: 'none', text: '', close: false })
