import fs from 'node:fs'
import type { AuditEntry } from '@socklab/shared'

export type AuditInput = Omit<AuditEntry, 'seq' | 'ts'>

export interface AuditLimits {
  /** Entries kept in memory for the panel. */
  maxEntries: number
  /** The file is moved to `<file>.1` (replacing the previous one) when it grows past this. */
  maxFileBytes: number
}

/**
 * Who did what, when: a bounded ring in memory (for GET /api/audit) and an append-only JSON-lines
 * file in the data folder (for after the class). Entries never hold secrets or payload bytes.
 */
export class AuditLog {
  private readonly entries: AuditEntry[] = []
  private nextSeq = 1
  private stream?: fs.WriteStream
  private fileBytes = 0
  private readonly ending = new Set<Promise<void>>()

  constructor(
    private readonly file: string | undefined,
    private readonly limits: AuditLimits = { maxEntries: 10_000, maxFileBytes: 16 * 1024 * 1024 },
  ) {
    if (file) this.openFile()
  }

  private openFile() {
    // Opened synchronously so that a rotation right after finds the file in place.
    const fd = fs.openSync(this.file!, 'a')
    this.fileBytes = fs.fstatSync(fd).size
    this.stream = fs.createWriteStream('', { fd })
    // A full disk must not take the gateway down; the in-memory log keeps working.
    this.stream.on('error', () => (this.stream = undefined))
  }

  get headSeq(): number {
    return this.nextSeq - 1
  }

  record(input: AuditInput): AuditEntry {
    const entry: AuditEntry = { seq: this.nextSeq++, ts: Date.now(), ...input }
    this.entries.push(entry)
    if (this.entries.length > this.limits.maxEntries) this.entries.shift()
    if (this.stream) {
      const line = JSON.stringify(entry) + '\n'
      this.stream.write(line)
      this.fileBytes += Buffer.byteLength(line)
      if (this.fileBytes > this.limits.maxFileBytes) this.rotate()
    }
    return entry
  }

  /** Rename the full file to `.1` (its open stream keeps writing there until it ends) and start a fresh one. */
  private rotate() {
    const old = this.stream!
    this.ending.add(new Promise<void>((resolve) => old.end(resolve)))
    try {
      fs.renameSync(this.file!, `${this.file}.1`)
    } catch {}
    this.openFile()
  }

  /** Entries with seq > after, oldest first. */
  after(after = 0, limit = 1000): AuditEntry[] {
    const out: AuditEntry[] = []
    for (const e of this.entries) {
      if (e.seq <= after) continue
      out.push(e)
      if (out.length >= limit) break
    }
    return out
  }

  async close() {
    const s = this.stream
    this.stream = undefined
    if (s) this.ending.add(new Promise<void>((resolve) => s.end(resolve)))
    await Promise.all(this.ending)
  }
}
