/** Students' file endpoints use their own folder (files/students/<name>/), never the instructor's whole files area. */
import fs from 'node:fs/promises'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startGateway, type TestGateway } from './helper.ts'
import { Cleanup, eventsOf } from './peers.ts'
import { SEP, filesRoot, namesIn, peerServer, rawUpload, sha256, tutorialDownload, tutorialUpload, waitForTransferEnd } from './transfer-peers.ts'
import { rawExchange } from './http-peers.ts'
import { Client } from '../../../test/security/classroom-clients.ts'
import { studentFolder, studentFolderName } from '../src/files/student-folder.ts'

const TOKEN = 'student-files-token-7d1e'
const CODE = 'FILE-TEST'
let gw: TestGateway
let teacher: Client
const cleanup = new Cleanup()
let names = 0
/** Fresh people per test (names are unique per class). */
const join = async (name: string) => {
  const full = `${name}-${++names}`
  return { who: await Client.join(gw.url, CODE, full, 'student'), name: full, folder: studentFolder(full) }
}

beforeAll(async () => {
  gw = await startGateway({ auth: true, token: TOKEN, classCode: CODE, commandsPerSecond: 1000 })
  teacher = await Client.instructor(gw.url, TOKEN)
})
afterEach(() => cleanup.run())
afterAll(() => gw.close())

async function create(who: Client, body: Record<string, unknown>) {
  const res = await who.api('POST', '/api/endpoints', { port: 0, ...body })
  if (res.status !== 201) throw new Error(`create ${body.kind} → ${res.status} ${JSON.stringify(res.body)}`)
  cleanup.add(res.body.id as string, (id) => teacher.api('DELETE', `/api/endpoints/${id}`))
  return { id: res.body.id as string, port: res.body.local?.port as number }
}

/** The instructor puts a file through the files API (the Files panel does the same). */
async function put(rel: string, text: string) {
  const res = await teacher.api('PUT', `/api/files/${rel.split('/').map(encodeURIComponent).join('/')}?onExists=replace`, Buffer.from(text), {
    'content-type': 'application/octet-stream',
  })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
}

describe("a student's file endpoints", () => {
  it("download server: the instructor's files are not found, the student's own folder is served", async () => {
    await put('secret.txt', 'instructor only')
    await put('answers/key.txt', 'instructor only too')
    const ann = await join('ann')
    const server = await create(ann.who, { kind: 'download-server' })

    for (const name of ['secret.txt', 'answers/key.txt', '../secret.txt', '../../secret.txt', `../${path.posix.basename(ann.folder)}/x.txt`]) {
      const got = await tutorialDownload(server.port, name)
      expect(got.all.toString(), name).toBe(`-1${SEP}${name}文件不存在`)
    }

    // The instructor hands out a file in the student's folder, as seen in the Files panel.
    await put(`${ann.folder}/x.txt`, 'for ann')
    const got = await tutorialDownload(server.port, 'x.txt')
    expect(got.first.toString()).toBe(`0${SEP}7`)
    expect(got.rest.toString()).toBe('for ann')
    // Reported paths are what the student sees: relative to their folder.
    const t = await waitForTransferEnd(gw, server.id, (x) => x.name === 'x.txt')
    expect(t).toMatchObject({ state: 'done', path: 'x.txt', sha256: sha256(Buffer.from('for ann')) })
  })

  it('upload server: saves under the student folder, where the instructor collects it', async () => {
    const bo = await join('bo')
    const server = await create(bo.who, { kind: 'upload-server' })
    const { reply } = await tutorialUpload(server.port, `homework.txt${SEP}4`, Buffer.from('done'))
    expect(reply.toString()).toBe('ok')
    const t = await waitForTransferEnd(gw, server.id)
    expect(t).toMatchObject({ state: 'done', path: 'received/[接收]homework.txt' })

    expect(await fs.readFile(path.join(filesRoot(gw), bo.folder, 'received/[接收]homework.txt'), 'utf8')).toBe('done')
    // Nothing landed in the instructor's own received folder.
    expect(await namesIn(path.join(filesRoot(gw), 'received'))).not.toContain('[接收]homework.txt')
    const listed = await teacher.api('GET', `/api/files?path=${encodeURIComponent(`${bo.folder}/received`)}`)
    expect(listed.body.entries.map((e: { path: string }) => e.path)).toEqual([`${bo.folder}/received/[接收]homework.txt`])
  })

  it('raw upload server and file client stay in the student folder too', async () => {
    await put('secret.txt', 'instructor only')
    const cy = await join('cy')
    const raw = await create(cy.who, { kind: 'raw-upload-server', folder: 'in' })
    await rawUpload(raw.port, Buffer.from('raw bytes'))
    expect(await waitForTransferEnd(gw, raw.id)).toMatchObject({ state: 'done', path: 'in/upload-1.bin' })
    expect(await fs.readFile(path.join(filesRoot(gw), cy.folder, 'in/upload-1.bin'), 'utf8')).toBe('raw bytes')

    // A file client may not upload the instructor's file: it is not in the student's folder.
    const peer = await peerServer((s) => s.end())
    cleanup.add(peer, (p) => p.close())
    const refused = await cy.who.api('POST', '/api/endpoints', { kind: 'file-client', direction: 'upload', host: '127.0.0.1', port: peer.port, file: 'secret.txt' })
    expect([refused.status, refused.body.error.code, refused.body.error.field]).toEqual([404, 'ENOENT', 'file'])
    expect(peer.connections()).toBe(0)
  })

  it('http-static: serves the student folder, says where, and 404s the instructor files', async () => {
    await put('secret.txt', 'instructor only')
    const di = await join('di')
    await put(`${di.folder}/site/index.html`, '<h1>di</h1>')
    const server = await create(di.who, { kind: 'http-static', folder: 'site' })
    const page = await rawExchange(server.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect([page.status, page.body.toString()]).toEqual([200, '<h1>di</h1>'])
    for (const target of ['/secret.txt', '/../secret.txt', '/%2e%2e/%2e%2e/%2e%2e/secret.txt']) {
      const res = await rawExchange(server.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
      expect(res.status, target).not.toBe(200)
      expect(res.body.toString(), target).not.toContain('instructor only')
    }
    const notes = eventsOf(gw, server.id).filter((e) => e.type === 'note') as Extract<ReturnType<typeof eventsOf>[number], { type: 'note' }>[]
    expect(notes.map((n) => n.text)).toContain(`serving files from files/${di.folder}/site/`)
  })

  it('a folder outside is refused just as it is for the instructor, and nothing is made', async () => {
    const ed = await join('ed')
    for (const kind of ['download-server', 'upload-server', 'raw-upload-server', 'http-static']) {
      for (const folder of ['../..', '..', '../../etc', '/tmp']) {
        const mine = await ed.who.api('POST', '/api/endpoints', { kind, port: 0, folder })
        const today = await teacher.api('POST', '/api/endpoints', { kind, port: 0, folder })
        expect(today.status, `${kind} ${folder}`).toBe(400)
        expect([mine.status, mine.body.error.code, mine.body.error.field], `${kind} ${folder}`).toEqual([today.status, today.body.error.code, 'folder'])
      }
    }
    // Only the student's own folder was made, and nothing in it.
    expect(await namesIn(path.join(filesRoot(gw), ed.folder))).toEqual([])
  })

  it('two students never share a folder, and a student without file endpoints gets none', async () => {
    const fay = await join('fay')
    const gus = await join('gus')
    expect(fay.folder).not.toBe(gus.folder)
    await put(`${fay.folder}/mine.txt`, 'fay')
    const fays = await create(fay.who, { kind: 'download-server' })
    const guss = await create(gus.who, { kind: 'download-server' })
    expect((await tutorialDownload(fays.port, 'mine.txt')).rest.toString()).toBe('fay')
    expect((await tutorialDownload(guss.port, 'mine.txt')).all.toString()).toBe(`-1${SEP}mine.txt文件不存在`)

    const hal = await join('hal')
    await create(hal.who, { kind: 'tcp-server', reply: { mode: 'echo' } })
    expect(await namesIn(path.join(filesRoot(gw), 'students'))).not.toContain(studentFolderName(hal.name))
  })
})

describe('the instructor', () => {
  it('still serves and saves at the root of the files area', async () => {
    await put('root.txt', 'teacher')
    const server = await create(teacher, { kind: 'download-server' })
    const got = await tutorialDownload(server.port, 'root.txt')
    expect(got.rest.toString()).toBe('teacher')
    expect(await waitForTransferEnd(gw, server.id)).toMatchObject({ state: 'done', path: 'root.txt' })

    const up = await create(teacher, { kind: 'upload-server' })
    await tutorialUpload(up.port, `t.txt${SEP}2`, Buffer.from('hi'))
    expect(await waitForTransferEnd(gw, up.id)).toMatchObject({ state: 'done', path: 'received/[接收]t.txt' })
    expect(await fs.readFile(path.join(filesRoot(gw), 'received/[接收]t.txt'), 'utf8')).toBe('hi')
  })
})

describe('student folder names', () => {
  it('are readable, stable, case-blind like names in a class, and never leave students/', () => {
    expect(studentFolderName('Ann')).toBe('ann')
    expect(studentFolderName('  ANN ')).toBe('ann')
    expect(studentFolderName('Mary-Jane')).toBe('mary-jane')
    expect(studentFolderName('张三')).toBe('张三')
    expect(studentFolderName('Ann Lee')).toBe('ann_20lee')
    expect(studentFolderName('..')).toBe('_2e_2e')
    expect(studentFolderName('../../etc')).toBe('_2e_2e_2f_2e_2e_2fetc')
    expect(studentFolderName('a\\b%2e')).toBe('a_5cb_252e')
    expect(studentFolder('Ann')).toBe('students/ann')
  })

  it('differ for different names, also ones that look alike once escaped', () => {
    const people = ['ann lee', 'ann_lee', 'ann_20lee', 'ann-lee', 'annlee', 'ann.lee', 'a', 'A~', '~', '_', '_5f']
    const folders = people.map(studentFolderName)
    expect(new Set(folders).size).toBe(people.length)
  })

  it('stay short enough for any file system, and still unique, for long names', () => {
    const a = '…'.repeat(40)
    const b = '…'.repeat(39) + '!'
    for (const n of [a, b]) {
      expect(Buffer.byteLength(studentFolderName(n))).toBeLessThanOrEqual(200)
      expect(studentFolderName(n)).toMatch(/~[0-9a-f]{16}$/)
    }
    expect(studentFolderName(a)).not.toBe(studentFolderName(b))
  })
})
