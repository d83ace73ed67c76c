import type { Component } from 'vue'
import type { EndpointActionBody } from '@socklab/shared'
import TcpServerForm from './kinds/TcpServerForm.vue'
import TcpClientForm from './kinds/TcpClientForm.vue'
import UdpForm from './kinds/UdpForm.vue'
import { noReply, type TcpClientFormModel, type TcpServerFormModel, type UdpFormModel } from './kinds/form-models.ts'

export type EndpointActionName = EndpointActionBody['action']

/**
 * How the panel offers one endpoint kind. To add a kind: write its form in kinds/ (a component with
 * `v-model` of its options, using Field.vue with `name` = the API field) and add one entry below.
 * Its i18n strings go in the kind's own messages.ts (any `messages.ts` under src/ is merged).
 */
export interface KindDefinition {
  kind: string
  /** i18n key of the kind's name, e.g. `endpoints.kinds.tcp-server`. */
  label: string
  /** i18n key of one sentence saying what it is for. */
  description?: string
  /** Form for the kind's options (v-model: the object returned by `defaults`). */
  form: Component
  /** Initial form model; empty strings are dropped before the options are sent. */
  defaults: () => object
  /** Shown when the endpoint is selected; props `{ endpoint: EndpointDetail }`. Default: DefaultEndpointDetail. */
  detail?: Component
  /** Buttons for POST /actions, in order. Stop (DELETE) is always offered. */
  actions?: EndpointActionName[]
  /** How the send box addresses bytes: to one/all connections, to the one stream, as datagrams to host:port. */
  send?: 'connections' | 'stream' | 'datagram'
  /** Show the connections table. */
  connections?: boolean
}

export const KINDS: KindDefinition[] = [
  {
    kind: 'tcp-server',
    label: 'endpoints.kinds.tcp-server',
    description: 'endpoints.kindHelp.tcp-server',
    form: TcpServerForm,
    defaults: (): TcpServerFormModel => ({ host: '127.0.0.1', port: 0, backlog: '', greeting: '', reply: noReply(), encoding: 'utf-8' }),
    actions: ['stop-listening'],
    send: 'connections',
    connections: true,
  },
  {
    kind: 'tcp-client',
    label: 'endpoints.kinds.tcp-client',
    description: 'endpoints.kindHelp.tcp-client',
    form: TcpClientForm,
    defaults: (): TcpClientFormModel => ({ host: '127.0.0.1', port: '', timeoutMs: 10_000, reply: noReply(), encoding: 'utf-8' }),
    actions: ['half-close', 'close', 'reconnect'],
    send: 'stream',
    connections: true,
  },
  {
    kind: 'udp',
    label: 'endpoints.kinds.udp',
    description: 'endpoints.kindHelp.udp',
    form: UdpForm,
    defaults: (): UdpFormModel => ({ host: '127.0.0.1', port: 0, remote: { host: '', port: '' }, reply: noReply(), encoding: 'utf-8' }),
    send: 'datagram',
  },
]

export function kindDefinition(kind: string): KindDefinition | undefined {
  return KINDS.find((k) => k.kind === kind)
}
