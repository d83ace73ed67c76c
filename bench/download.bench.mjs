// File download throughput: one big file fetched with the tutorial's protocol (send the name, read
// `0<SEPARATOR>{size}`, then the bytes until close) from three servers, each a child process:
//   - socklab's download-server (the built gateway, default settings),
//   - a bare Node server doing `fs.createReadStream(path).pipe(socket)`,
//   - the tutorial's own Python server (40 KiB read + sendall loop).
// The same Node client here reads and discards. Prints MB/s of each (file bytes, first byte to last),
// the ratios, the gateway's CPU share and its peak RSS after a small and after the big download (memory
// must stay flat whatever the size). The file is generated in a temporary folder and deleted afterwards.
//
//   node bench/download.bench.mjs                         (after `pnpm build`; `pnpm bench` does both)
//   SOCKLAB_BENCH_SIZE=64MiB node bench/download.bench.mjs   (quick run; plain bytes, KiB, MiB or GiB)
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { spawn } from 'node:child_process'
import { ROOT, cpuSecondsOf, mb, memoryOf, mib, startGateway, startNodeServer } from './lib/processes.mjs'

const SEP = '<SEPARATOR>'
const FLOOR = 0.8
const RSS_LIMIT = 200 * 1024 * 1024
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const SMALL = 64 * 1024 * 1024

function sizeFromEnv(raw) {
  if (!raw) return 1024 ** 3
  const m = String(raw).trim().match(/^(\d+)\s*(b|kib|mib|gib|k|m|g)?$/i)
  if (!m) throw new Error(`SOCKLAB_BENCH_SIZE must be bytes or e.g. 64MiB / 1GiB, got "${raw}"`)
  const unit = (m[2] ?? 'b').toLowerCase()[0]
  return Number(m[1]) * ({ b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit] ?? 1)
}
const SIZE = sizeFromEnv(process.env.SOCKLAB_BENCH_SIZE)

/** Write `size` bytes fast: one random 4 MiB block repeated (the servers cannot tell), hashed as written. */
async function generateFile(file, size) {
  const block = randomBytes(4 * 1024 * 1024)
  const hash = createHash('sha256')
  const fd = fs.openSync(file, 'w')
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(block.length, size - done)
      const part = n === block.length ? block : block.subarray(0, n)
      fs.writeSync(fd, part)
      hash.update(part)
      done += n
    }
  } finally {
    fs.closeSync(fd)
  }
  return hash.digest('hex')
}

const barePipe = (folder) => `
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
const folder = ${JSON.stringify(folder)}
const server = net.createServer((s) => {
  s.on('error', () => {})
  s.once('data', (name) => {
    const file = path.join(folder, name.toString())
    const size = fs.statSync(file).size
    s.write('0${SEP}' + size)
    fs.createReadStream(file).pipe(s)
  })
})
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
process.on('SIGTERM', () => process.exit(0))
`

function startPythonServer(folder, count) {
  const child = spawn('python3', ['-u', path.join(ROOT, 'test/interop/files/python/download_server.py'), '127.0.0.1', folder, String(count)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d))
  child.stderr.setEncoding('utf8').on('data', (d) => (out += d))
  const exited = new Promise((r) => child.once('exit', r))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Python server printed no port: ${out}`)), 15_000)
    child.stdout.on('data', () => {
      const m = out.match(/^(\d+)\s*\n/)
      if (!m) return
      clearTimeout(timer)
      resolve({
        port: Number(m[1]),
        child,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
          await exited
        },
      })
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the Python server exited with ${code}: ${out}`))
    })
  })
}

/**
 * The tutorial client, fast: send the name, parse the header, count the file's bytes until close.
 * Times from the first file byte to the last, so connection set-up and the header pause are not counted.
 */
function download(port, name, expected) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(name))
    const headerText = `0${SEP}${expected}`
    let header = Buffer.alloc(0)
    let bytes = 0
    let first = 0
    s.on('data', (chunk) => {
      if (header.length < headerText.length) {
        header = Buffer.concat([header, chunk])
        if (header.length < headerText.length) return
        if (header.subarray(0, headerText.length).toString() !== headerText) return reject(new Error(`unexpected header ${header.subarray(0, 60)}`))
        chunk = header.subarray(headerText.length)
      }
      if (chunk.length && !first) first = performance.now()
      bytes += chunk.length
    })
    s.on('error', reject)
    s.on('close', () => {
      const seconds = (performance.now() - first) / 1000
      if (bytes !== expected) return reject(new Error(`received ${bytes} of ${expected} bytes`))
      resolve({ rate: bytes / seconds, seconds })
    })
  })
}

/**
 * Run every server once per round, rounds interleaved (so a busy moment of the machine hits all of them
 * alike), and keep each server's best rate.
 */
async function interleaved(servers) {
  const best = new Map(servers.map((s) => [s.label, 0]))
  for (let round = 0; round < RUNS; round++) {
    for (const s of servers) {
      const { rate } = await s.run()
      best.set(s.label, Math.max(best.get(s.label), rate))
      console.log(`  round ${round + 1}: ${s.label.padEnd(32)} ${mb(rate).padStart(8)} MB/s`)
    }
  }
  return best
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'socklab-bench-download-'))
  const folder = path.join(dataDir, 'files')
  fs.mkdirSync(folder, { recursive: true })
  let gateway, bare, python
  try {
    console.log(`download of a ${mib(SIZE)} MiB file over 127.0.0.1 (${os.cpus().length} cores); generating it…`)
    const sha = await generateFile(path.join(folder, 'big.bin'), SIZE)
    await generateFile(path.join(folder, 'small.bin'), Math.min(SMALL, SIZE))

    gateway = await startGateway({ SOCKLAB_DATA: dataDir })
    bare = await startNodeServer(barePipe(folder), 'the bare Node pipe server')
    python = await startPythonServer(folder, RUNS)
    const ep = await gateway.api('POST', '/api/endpoints', { kind: 'download-server', port: 0 })
    const port = ep.local.port

    // Memory after a small download, then after the big ones: it must not grow with the file.
    await download(port, 'small.bin', Math.min(SMALL, SIZE))
    const rssSmall = memoryOf(gateway.child.pid).peak

    let socklabSeconds = 0
    let gatewayCpuSeconds = 0
    const best = await interleaved([
      {
        label: 'socklab download-server',
        run: async () => {
          const cpu = cpuSecondsOf(gateway.child.pid)
          const r = await download(port, 'big.bin', SIZE)
          gatewayCpuSeconds += cpuSecondsOf(gateway.child.pid) - cpu
          socklabSeconds += r.seconds
          return r
        },
      },
      { label: 'bare Node createReadStream.pipe', run: () => download(bare.port, 'big.bin', SIZE) },
      { label: 'tutorial Python (40 KiB loop)', run: () => download(python.port, 'big.bin', SIZE) },
    ])
    const [socklab, pipe, py] = [...best.values()]
    const gatewayCpu = gatewayCpuSeconds / socklabSeconds
    const rssBig = memoryOf(gateway.child.pid).peak
    console.log('')
    for (const [label, rate] of best) console.log(`  ${label.padEnd(32)} ${mb(rate).padStart(8)} MB/s (best of ${RUNS})`)

    // The gateway's own report of the last transfer: size and sha256 must match the file.
    const { transfers } = await gateway.api('GET', '/api/transfers')
    const last = transfers.at(-1)
    const verified = last?.state === 'done' && last.bytesDone === SIZE && last.sha256 === sha

    console.log('')
    console.log(`socklab / Node pipe  ${(socklab / pipe).toFixed(2)}×   (floor ${FLOOR}×: ${socklab / pipe >= FLOOR ? 'met' : 'NOT met'})`)
    console.log(`socklab / Python     ${(socklab / py).toFixed(2)}×   (aim > 1×: ${socklab > py ? 'met' : 'not met'})`)
    console.log(`gateway CPU while sending: ${Math.round(gatewayCpu * 100)}% of one core (round 1 hashes every byte; later rounds reuse that sha256, the file being unchanged)`)
    console.log(
      `gateway peak RSS: ${mib(rssSmall)} MiB after ${mib(Math.min(SMALL, SIZE))} MiB, ${mib(rssBig)} MiB after ${RUNS}× ${mib(SIZE)} MiB` +
        ` (limit ${mib(RSS_LIMIT)} MiB: ${rssBig < RSS_LIMIT ? 'met' : 'NOT met'})`,
    )
    console.log(`gateway's sha256 of the last transfer ${verified ? 'matches' : 'DOES NOT match'} the file`)
    if (!verified) process.exitCode = 1
  } finally {
    await gateway?.stop()
    await bare?.stop()
    await python?.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
