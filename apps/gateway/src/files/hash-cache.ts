import type fs from 'node:fs'

/** Files whose sha256 is remembered; the least recently used is forgotten first. */
const MAX_ENTRIES = 1000

/**
 * sha256 of files already sent in full, keyed by what identifies one version of a file on disk
 * (device, inode, size, mtime, ctime: any write changes ctime). A class downloading the same file
 * thirty times hashes it once; a changed file gets a new key, so a stale digest is never reused.
 */
export class HashCache {
  private readonly entries = new Map<string, string>()

  static keyOf(stat: fs.Stats): string {
    return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`
  }

  get(key: string): string | undefined {
    const v = this.entries.get(key)
    if (v !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, v)
    }
    return v
  }

  set(key: string, sha256: string) {
    this.entries.delete(key)
    this.entries.set(key, sha256)
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!)
  }
}

/** One per gateway process: the same file is the same file for every endpoint. */
export const servedHashes = new HashCache()
