import path from 'node:path'
import { ENDPOINT_OPTION_SCHEMAS, validate, type EndpointKind, type EndpointOptions, type Role } from '@socklab/shared'
import type { Endpoint, EndpointContext } from './endpoint.ts'
import { SocketError } from './socket-error.ts'
import { TcpServerEndpoint } from './tcp-server.ts'
import { TcpClientEndpoint } from './tcp-client.ts'
import { UdpEndpoint } from './udp-socket.ts'
import { TcpRelayEndpoint } from './tcp-relay.ts'
import { HttpStaticEndpoint } from './http-static.ts'
import { DownloadServerEndpoint } from './download-server.ts'
import { UploadServerEndpoint } from './upload-server.ts'
import { RawUploadServerEndpoint } from './raw-upload-server.ts'
import { FileClientEndpoint } from './file-client.ts'
import { FilesArea } from '../files/files-area.ts'
import { studentFolder } from '../files/student-folder.ts'

type EndpointFactory = (id: string, options: any, ctx: EndpointContext) => Endpoint<any>

/**
 * Which class runs each endpoint kind. New kinds add a line here (and their schema in
 * packages/shared ENDPOINT_OPTION_SCHEMAS).
 */
const FACTORIES: Partial<Record<EndpointKind, EndpointFactory>> = {
  'tcp-server': (id, o, ctx) => new TcpServerEndpoint(id, o, ctx),
  'tcp-client': (id, o, ctx) => new TcpClientEndpoint(id, o, ctx),
  udp: (id, o, ctx) => new UdpEndpoint(id, o, ctx),
  'tcp-relay': (id, o, ctx) => new TcpRelayEndpoint(id, o, ctx),
  'http-static': (id, o, ctx) => new HttpStaticEndpoint(id, o, ctx),
  'download-server': (id, o, ctx) => new DownloadServerEndpoint(id, o, ctx),
  'upload-server': (id, o, ctx) => new UploadServerEndpoint(id, o, ctx),
  'raw-upload-server': (id, o, ctx) => new RawUploadServerEndpoint(id, o, ctx),
  'file-client': (id, o, ctx) => new FileClientEndpoint(id, o, ctx),
}

/**
 * Kinds that read or write the files area: a student's one gets its folder made before it starts. (A
 * kind missing here still gets the student's folder as its root, only not made: it fails, it never
 * reaches the instructor's files.)
 */
const FILE_KINDS = new Set<EndpointKind>(['http-static', 'download-server', 'upload-server', 'raw-upload-server', 'file-client'])

export interface CreateContext {
  owner?: string
  ownerId?: string
  /** The owner's role: a student's endpoint uses their own folder of the files area, not all of it. */
  ownerRole?: Role
}

/** All endpoints of the gateway: create (validated), find, stop one, stop all on shutdown. */
export class EndpointManager {
  private readonly endpoints = new Map<string, Endpoint<any>>()
  private counter = 0
  private readonly registerListeners = new Set<(e: Endpoint<any>) => void>()

  constructor(private readonly ctx: EndpointContext) {}

  /** Hear of every endpoint as it is registered, before it starts (the access layer records its owner). */
  onRegister(listener: (e: Endpoint<any>) => void): () => void {
    this.registerListeners.add(listener)
    return () => this.registerListeners.delete(listener)
  }

  /** Validate against the kind's schema, start, and register. A failed start registers nothing and throws. */
  async create(input: unknown, extra: CreateContext = {}): Promise<Endpoint<any>> {
    const kind = (input as { kind?: unknown })?.kind
    const schema = ENDPOINT_OPTION_SCHEMAS[kind as EndpointKind]
    const factory = FACTORIES[kind as EndpointKind]
    if (!schema || !factory) {
      throw new SocketError('EVALIDATION', `kind must be one of: ${Object.keys(FACTORIES).join(', ')}`, 'kind')
    }
    const checked = validate(schema, input)
    if (!checked.ok) throw new SocketError(checked.error.code, checked.error.message, checked.error.field)
    const ctx = await this.contextFor(kind as EndpointKind, extra)
    const id = `e${++this.counter}`
    // A log asked for at creation starts with how the endpoint came up.
    const from = this.ctx.hub.headSeq
    const endpoint = factory(id, checked.value as EndpointOptions, ctx)
    if (extra.owner) endpoint.owner = extra.owner
    if (extra.ownerId) endpoint.ownerId = extra.ownerId
    this.endpoints.set(id, endpoint)
    for (const l of this.registerListeners) l(endpoint)
    try {
      await endpoint.start()
      if ((checked.value as { log?: boolean }).log) {
        await endpoint.startLog(from)
        endpoint.emit({ type: 'endpoint', endpoint: endpoint.info() })
      }
    } catch (err) {
      this.endpoints.delete(id)
      await endpoint.stop().catch(() => {})
      this.ctx.hub.append({ type: 'endpoint-removed', endpointId: id })
      throw err
    }
    return endpoint
  }

  /**
   * The context an endpoint runs with: the gateway's, except that a student's endpoint has their own
   * folder (`students/<name>`, made on demand and checked like any folder of the area) as its files root.
   */
  private async contextFor(kind: EndpointKind, extra: CreateContext): Promise<EndpointContext> {
    if (extra.ownerRole !== 'student') return this.ctx
    const name = extra.owner ?? extra.ownerId
    if (!name) throw new SocketError('EFORBIDDEN', 'a student endpoint needs its owner, to find their folder')
    const folder = studentFolder(name)
    if (FILE_KINDS.has(kind)) await new FilesArea(this.ctx.filesRoot).ensureFolder(folder, 'folder')
    return { ...this.ctx, filesRoot: path.join(this.ctx.filesRoot, ...folder.split('/')), filesFolder: folder }
  }

  get(id: string): Endpoint<any> {
    const e = this.endpoints.get(id)
    if (!e) throw new SocketError('ENOENDPOINT', `no endpoint ${id}`)
    return e
  }

  list(): Endpoint<any>[] {
    return [...this.endpoints.values()]
  }

  async remove(id: string) {
    const e = this.get(id)
    this.endpoints.delete(id)
    try {
      await e.stop()
      this.ctx.hub.append({ type: 'endpoint-removed', endpointId: id })
    } finally {
      // After the removal event, so the log ends with it; flushed and closed before the caller hears "removed".
      await e.endLog()
    }
  }

  async closeAll() {
    await Promise.allSettled(this.list().map((e) => this.remove(e.id)))
  }
}
