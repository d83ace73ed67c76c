import type { Readable } from 'node:stream'
import type { OnExists, PutFileResult } from '@socklab/shared'
import { SocketError } from '../sockets/socket-error.ts'
import { FilesArea, tooLarge } from './files-area.ts'
import { checkFileName } from './safe-path.ts'

export interface ReceiveRequest {
  folder: string
  name: string
  onExists: OnExists
  /** Content-Length, when the client said it: refused at once if over the cap, checked at the end. */
  declared?: number
}

/**
 * Save an HTTP request body (a browser upload) into the files area: refused before reading if it
 * cannot fit or the name is taken, streamed with backpressure, written under a temporary name and
 * renamed only once complete. An aborted or oversized upload leaves nothing behind.
 */
export async function receiveRequestBody(area: FilesArea, body: Readable, req: ReceiveRequest): Promise<PutFileResult> {
  const name = checkFileName(req.name, 'path')
  const rel = FilesArea.join(req.folder, name)
  if (req.declared !== undefined && req.declared > area.maxFileBytes) throw tooLarge(req.declared, area.maxFileBytes, 'path')
  const target = await area.resolve(rel)
  if (target.stat?.isDirectory()) throw new SocketError('EISDIR', `"${target.rel}" is a folder`, 'path')
  if (target.stat && req.onExists === 'fail') {
    throw new SocketError('EEXIST', `"${target.rel}" already exists; delete it first or choose onExists=rename or replace`, 'path')
  }
  const file = await area.receive(req.folder, area.maxFileBytes, 'path')
  try {
    // Not destroyed on an early exit: the HTTP layer still has to answer on this connection.
    for await (const chunk of body.iterator({ destroyOnReturn: false })) {
      const bytes = chunk as Buffer
      if (file.wouldExceed(bytes.length)) throw tooLarge(req.declared, file.maxBytes, 'path')
      if (!file.write(bytes)) {
        const failure = await Promise.race([new Promise<void>((r) => file.onceDrain(r)), file.failed])
        if (failure) throw failure
      }
    }
    if (req.declared !== undefined && file.bytes !== req.declared) {
      throw new SocketError('ESHORT', `the upload ended after ${file.bytes} of ${req.declared} bytes; nothing was saved`, 'path')
    }
  } catch (err) {
    body.resume() // discard the rest; the route closes the connection after answering
    await file.discard()
    if (err instanceof SocketError) throw err
    throw new SocketError('ESHORT', `the upload was interrupted after ${file.bytes} bytes; nothing was saved`, 'path')
  }
  const saved = await file.commit(name, req.onExists)
  const entry = await area.entry(saved.rel)
  return { ...entry, sha256: saved.sha256 }
}
