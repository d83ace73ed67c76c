// TCP relay throughput: load generator → proxy → echo target → proxy → load generator.
// The proxy is either a socklab tcp-relay (no faults; every chunk recorded on both legs as events) or a
// bare Node `pipe()` proxy; the echo target and both proxies are child processes, driven by the same
// load generator here. Prints MB/s for each, the ratio (target ≥ 0.8×), and the gateway's peak memory.
//
//   node bench/relay.bench.mjs            (after `pnpm build`; `pnpm bench` does both)
//   BENCH_SECONDS=5 node bench/relay.bench.mjs
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { memoryOf, mb, mib, startGateway, startNodeServer, watchMemory } from './lib/processes.mjs'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const WARMUP_MS = 500
const CHUNK = 16 * 1024
const CONNECTIONS = [1, 16]
const TARGET = 0.8

const ECHO_TARGET = `
import net from 'node:net'
const server = net.createServer((s) => {
  s.on('error', () => {})
  s.pipe(s)
})
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
process.on('SIGTERM', () => process.exit(0))
`

// The baseline: the shortest correct Node relay (both ways piped, errors end both sides).
const bareProxy = (targetPort) => `
import net from 'node:net'
const server = net.createServer((client) => {
  const target = net.connect({ host: '127.0.0.1', port: ${targetPort}, noDelay: true })
  const done = () => (client.destroy(), target.destroy())
  client.on('error', done)
  target.on('error', done)
  client.pipe(target)
  target.pipe(client)
})
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
process.on('SIGTERM', () => process.exit(0))
`

/** Keep `connections` sockets writing 16 KiB chunks (respecting backpressure); bytes per second echoed back through the proxy. */
async function relayLoad(port, connections) {
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
  await sleep(SECONDS * 1000)
  const seconds = (performance.now() - start) / 1000
  const bytes = received - startBytes
  running = false
  await Promise.all(sockets.map((s) => new Promise((r) => (s.once('close', r), s.destroy()))))
  return bytes / seconds
}

async function main() {
  console.log(`TCP relay: ${CHUNK / 1024} KiB chunks through the proxy to an echo target and back, ${SECONDS} s per run after ${WARMUP_MS} ms warm-up, 127.0.0.1 only`)
  const target = await startNodeServer(ECHO_TARGET, 'the echo target')
  const bare = await startNodeServer(bareProxy(target.port), 'the bare Node pipe() proxy')
  const gateway = await startGateway()
  const rows = []
  try {
    const relay = await gateway.api('POST', '/api/endpoints', { kind: 'tcp-relay', port: 0, target: { host: '127.0.0.1', port: target.port } })
    for (const connections of CONNECTIONS) {
      const bareRate = await relayLoad(bare.port, connections)
      const memory = watchMemory(gateway.child.pid)
      const socklabRate = await relayLoad(relay.local.port, connections)
      const peakRss = memory.stop()
      rows.push({ connections, bareRate, socklabRate, peakRss })
    }
    const detail = await gateway.api('GET', `/api/endpoints/${relay.id}`)
    console.log(`relay recorded ${mb(detail.stats.bytesIn)} MB in / ${mb(detail.stats.bytesOut)} MB out over ${detail.stats.totalConnections} pairs`)
    await gateway.api('DELETE', `/api/endpoints/${relay.id}`)
  } finally {
    const gatewayPeak = memoryOf(gateway.child.pid).peak
    await gateway.stop()
    await bare.stop()
    await target.stop()
    console.log('')
    console.log('connections | bare pipe() MB/s | socklab relay MB/s | ratio | gateway RSS peak')
    for (const r of rows) {
      console.log(
        [
          String(r.connections).padStart(11),
          mb(r.bareRate).padStart(16),
          mb(r.socklabRate).padStart(18),
          `${(r.socklabRate / r.bareRate).toFixed(2)}×`.padStart(5),
          `${mib(r.peakRss)} MiB`.padStart(16),
        ].join(' | '),
      )
    }
    console.log(`peak RSS over the whole run (VmHWM): gateway ${mib(gatewayPeak)} MiB`)
    const worst = Math.min(...rows.map((r) => r.socklabRate / r.bareRate))
    if (rows.length) console.log(`target socklab ≥ ${TARGET}× bare Node pipe(): ${worst >= TARGET ? 'met' : 'NOT met'} (worst ${worst.toFixed(2)}×)`)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
