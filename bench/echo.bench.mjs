// TCP echo throughput: a socklab tcp-server (auto-reply echo, every chunk recorded as an event, one live
// WebSocket viewer reading the feed in its own process, like a browser tab) next to a bare Node echo server
// (`s.pipe(s)`), both as child processes, driven by the same load generator here. Prints MB/s for each, the
// ratio, the servers' CPU use, the gateway's peak memory and the events per second the viewer received.
//
//   node bench/echo.bench.mjs            (after `pnpm build`; `pnpm bench` does both)
//   BENCH_SECONDS=5 node bench/echo.bench.mjs
import net from 'node:net'
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { cpuSecondsOf, memoryOf, mb, mib, startGateway, startNodeServer, startViewerProcess, watchMemory } from './lib/processes.mjs'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const WARMUP_MS = 500
const CHUNK = 16 * 1024
const CONNECTIONS = [1, 16]
const TARGET = 0.8

const BARE_ECHO = `
import net from 'node:net'
const server = net.createServer((s) => {
  s.on('error', () => {}) // a load generator hanging up must not end the baseline
  s.pipe(s)
})
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
process.on('SIGTERM', () => process.exit(0))
`

/**
 * Keep `connections` sockets busy writing 16 KiB chunks (respecting backpressure) and count the echoed bytes.
 * Returns bytes per second over the measured window (after a warm-up). Everything is closed afterwards.
 */
async function echoLoad(port, connections, during = {}) {
  const chunk = Buffer.alloc(CHUNK, 0x61)
  let received = 0
  let running = true
  const sockets = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise((resolve, reject) => {
          const s = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(s))
          s.once('error', reject)
        }),
    ),
  )
  for (const s of sockets) {
    s.on('error', () => {})
    s.on('data', (d) => (received += d.length))
    const pump = () => {
      while (running && s.write(chunk)) {}
    }
    s.on('drain', pump)
    pump()
  }
  await sleep(WARMUP_MS)
  const startBytes = received
  const start = performance.now()
  during.start?.()
  await sleep(SECONDS * 1000)
  const seconds = (performance.now() - start) / 1000
  const bytes = received - startBytes
  during.end?.(seconds)
  running = false
  await Promise.all(sockets.map((s) => new Promise((r) => (s.once('close', r), s.destroy()))))
  return bytes / seconds
}

async function main() {
  console.log(`TCP echo: ${CHUNK / 1024} KiB chunks, ${SECONDS} s per run after ${WARMUP_MS} ms warm-up, 127.0.0.1 only`)
  const bare = await startNodeServer(BARE_ECHO, 'the bare Node echo server')
  const gateway = await startGateway()
  const viewer = await startViewerProcess(gateway.wsUrl)
  const rows = []
  /** CPU share of a process over the measured window (1.0 = one full core). */
  const cpuMeter = (pid) => {
    let at = 0
    return { start: () => (at = cpuSecondsOf(pid)), share: (seconds) => (cpuSecondsOf(pid) - at) / seconds }
  }
  try {
    for (const connections of CONNECTIONS) {
      const bareCpu = cpuMeter(bare.child.pid)
      let bareShare = 0
      const bareRate = await echoLoad(bare.port, connections, { start: bareCpu.start, end: (s) => (bareShare = bareCpu.share(s)) })

      const endpoint = await gateway.api('POST', '/api/endpoints', { kind: 'tcp-server', port: 0, reply: { mode: 'echo' } })
      const memory = watchMemory(gateway.child.pid)
      const gatewayCpu = cpuMeter(gateway.child.pid)
      let gatewayShare = 0
      let before
      let after
      let seconds = 1
      // The viewer is asked for its counts at both ends of the window (its answers arrive a moment later).
      const socklabRate = await echoLoad(endpoint.local.port, connections, {
        start: () => {
          gatewayCpu.start()
          before = viewer.count()
        },
        end: (s) => {
          gatewayShare = gatewayCpu.share(s)
          seconds = s
          after = viewer.count()
        },
      })
      const [b, a] = [await before, await after]
      const peakRss = memory.stop()
      await gateway.api('DELETE', `/api/endpoints/${endpoint.id}`)
      rows.push({
        connections,
        bareRate,
        socklabRate,
        bareShare,
        gatewayShare,
        peakRss,
        eventsPerSecond: (a.events - b.events) / seconds,
        missedPerSecond: (a.missed - b.missed) / seconds,
      })
    }
  } finally {
    const gatewayPeak = memoryOf(gateway.child.pid).peak
    const barePeak = memoryOf(bare.child.pid).peak
    await viewer.close()
    await gateway.stop()
    await bare.stop()
    console.log('')
    console.log('connections | bare node MB/s (CPU) | socklab MB/s (CPU) | ratio | gateway RSS peak | viewer events/s (missed/s)')
    for (const r of rows) {
      console.log(
        [
          String(r.connections).padStart(11),
          `${mb(r.bareRate)} (${Math.round(r.bareShare * 100)}%)`.padStart(20),
          `${mb(r.socklabRate)} (${Math.round(r.gatewayShare * 100)}%)`.padStart(18),
          `${(r.socklabRate / r.bareRate).toFixed(2)}×`.padStart(5),
          `${mib(r.peakRss)} MiB`.padStart(16),
          `${Math.round(r.eventsPerSecond)} (${Math.round(r.missedPerSecond)})`.padStart(26),
        ].join(' | '),
      )
    }
    console.log(`(CPU: the share of one core each server process used while measured; this machine has ${os.cpus().length} cores)`)
    console.log(`peak RSS over the whole run (VmHWM): gateway ${mib(gatewayPeak)} MiB, bare echo ${mib(barePeak)} MiB`)
    const worst = Math.min(...rows.map((r) => r.socklabRate / r.bareRate))
    if (rows.length) console.log(`target socklab ≥ ${TARGET}× bare Node: ${worst >= TARGET ? 'met' : 'NOT met'} (worst ${worst.toFixed(2)}×)`)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
