// `pnpm bench`: run every bench/*.bench.mjs, one after another (they measure, so never in parallel).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const only = process.argv.slice(2)
const files = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()

if (files.length === 0) {
  console.error(`no bench/*.bench.mjs${only.length ? ` matching ${only.join(', ')}` : ''}`)
  process.exit(1)
}

const failed = []
for (const file of files) {
  console.log(`\n=== ${file} ${'='.repeat(Math.max(0, 60 - file.length))}`)
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(here, file)], { stdio: 'inherit' })
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)))
  })
  if (code !== 0) failed.push(`${file} (exit ${code})`)
}
console.log(`\n${files.length - failed.length} of ${files.length} benchmarks ran${failed.length ? `; failed: ${failed.join(', ')}` : ''}`)
process.exit(failed.length ? 1 : 0)
