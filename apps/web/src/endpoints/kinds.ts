import type { Component } from 'vue'
import type { EndpointActionBody } from '@socklab/shared'
import TcpServerForm from './kinds/TcpServerForm.vue'
import TcpClientForm from './kinds/TcpClientForm.vue'
import UdpForm from './kinds/UdpForm.vue'
import { noReply, type TcpClientFormModel, type TcpServerFormModel, type UdpFormModel } from './kinds/form-models.ts'
import TcpRelayForm from './kinds/TcpRelayForm.vue'
import HttpStaticForm from './kinds/HttpStaticForm.vue'
import RelayDetail from '../relay/RelayDetail.vue'
import HttpDetail from '../http/HttpDetail.vue'
import { relayDefaults } from '../relay/relay-form-model.ts'
import { httpDefaults } from '../http/http-form-model.ts'
import DownloadServerForm from './kinds/DownloadServerForm.vue'
import UploadServerForm from './kinds/UploadServerForm.vue'
import RawUploadServerForm from './kinds/RawUploadServerForm.vue'
import FileClientForm from './kinds/FileClientForm.vue'
import TransferDetail from '../transfers/TransferDetail.vue'
import { downloadServerDefaults, fileClientDefaults, rawUploadServerDefaults, uploadServerDefaults } from '../transfers/transfer-form-models.ts'

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
  {
    kind: 'tcp-relay',
    label: 'endpoints.kinds.tcp-relay',
    description: 'endpoints.kindHelp.tcp-relay',
    form: TcpRelayForm,
    defaults: relayDefaults,
    detail: RelayDetail,
    actions: ['stop-listening'],
  },
  {
    kind: 'http-static',
    label: 'endpoints.kinds.http-static',
    description: 'endpoints.kindHelp.http-static',
    form: HttpStaticForm,
    defaults: httpDefaults,
    detail: HttpDetail,
  },
  { kind: 'download-server', label: 'endpoints.kinds.download-server', description: 'endpoints.kindHelp.download-server', form: DownloadServerForm, defaults: downloadServerDefaults, detail: TransferDetail, actions: ['stop-listening'] },
  { kind: 'upload-server', label: 'endpoints.kinds.upload-server', description: 'endpoints.kindHelp.upload-server', form: UploadServerForm, defaults: uploadServerDefaults, detail: TransferDetail, actions: ['stop-listening'] },
  { kind: 'raw-upload-server', label: 'endpoints.kinds.raw-upload-server', description: 'endpoints.kindHelp.raw-upload-server', form: RawUploadServerForm, defaults: rawUploadServerDefaults, detail: TransferDetail, actions: ['stop-listening'] },
  { kind: 'file-client', label: 'endpoints.kinds.file-client', description: 'endpoints.kindHelp.file-client', form: FileClientForm, defaults: fileClientDefaults, detail: TransferDetail },
]

export function kindDefinition(kind: string): KindDefinition | undefined {
  return KINDS.find((k) => k.kind === kind)
}
