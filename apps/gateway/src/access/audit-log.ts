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
  private closed = false

  constructor(
    private readonly file: string | undefined,
    private readonly limits: AuditLimits = { maxEntries: 10_000, maxFileBytes: 16 * 1024 * 1024 },
  ) {
    if (file) this.openFile()
  }

  private openFile() {
    this.fileBytes = fs.existsSync(this.file!) ? fs.statSync(this.file!).size : 0
    this.stream = fs.createWriteStream(this.file!, { flags: 'a' })
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

  private rotate() {
    const old = this.stream!
    this.stream = undefined
    old.end(() => {
      try {
        fs.renameSync(this.file!, `${this.file}.1`)
      } catch {}
      if (!this.closed) this.openFile()
    })
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
    this.closed = true
    const s = this.stream
    this.stream = undefined
    if (s) await new Promise<void>((resolve) => s.end(resolve))
  }
}
