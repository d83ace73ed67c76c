// TCP relay throughput: load generator → proxy → echo target → proxy → load generator.
// The proxy is either a socklab tcp-relay (no faults; every chunk recorded on both legs as events) or a
// bare Node `pipe()` proxy; the echo target and both proxies are child processes, driven by the same
// load generator here. Prints MB/s for each, the ratio (target ≥ 0.8×), and the gateway's peak memory.
//
// Also the CPU each proxy process spent per GB relayed, which a busy machine disturbs less than MB/s.
//
//   node bench/relay.bench.mjs            (after `pnpm build`; `pnpm bench` does both)
//   BENCH_SECONDS=5 BENCH_ROUNDS=5 node bench/relay.bench.mjs   (longer, more rounds on a busy machine)
import os from 'node:os'
import { BARE_ECHO, CHUNK, CONNECTIONS, echoLoad, median, ROUNDS, SECONDS, TARGET, WARMUP_MS } from './lib/echo-load.mjs'
import { cpuSecondsOf, memoryOf, mb, mib, startGateway, startNodeServer, watchMemory } from './lib/processes.mjs'

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

/** Echo load through the proxy at `port`; adds the CPU seconds per GB the proxy process (`pid`) spent meanwhile. */
async function relayLoad(port, pid, connections) {
  let startCpu = 0
  let cpu = 0
  const { rate, bytes } = await echoLoad(port, connections, {
    start: () => (startCpu = cpuSecondsOf(pid)),
    end: () => (cpu = cpuSecondsOf(pid) - startCpu),
  })
  return { rate, cpuPerGB: cpu / (bytes / 1e9) }
}

async function main() {
  console.log(
    `TCP relay: ${CHUNK / 1024} KiB chunks through the proxy to an echo target and back, ${SECONDS} s per run after ${WARMUP_MS} ms warm-up,` +
      ` median of ${ROUNDS} alternating rounds, 127.0.0.1 only (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`,
  )
  const target = await startNodeServer(BARE_ECHO, 'the echo target')
  const bare = await startNodeServer(bareProxy(target.port), 'the bare Node pipe() proxy')
  const gateway = await startGateway()
  const rows = []
  try {
    const relay = await gateway.api('POST', '/api/endpoints', { kind: 'tcp-relay', port: 0, target: { host: '127.0.0.1', port: target.port } })
    for (const connections of CONNECTIONS) {
      const runs = { bare: [], socklab: [] }
      const memory = watchMemory(gateway.child.pid)
      for (let round = 0; round < ROUNDS; round++) {
        runs.bare.push(await relayLoad(bare.port, bare.child.pid, connections))
        runs.socklab.push(await relayLoad(relay.local.port, gateway.child.pid, connections))
      }
      const peakRss = memory.stop()
      rows.push({
        connections,
        bareRate: median(runs.bare.map((r) => r.rate)),
        socklabRate: median(runs.socklab.map((r) => r.rate)),
        bareCpu: median(runs.bare.map((r) => r.cpuPerGB)),
        socklabCpu: median(runs.socklab.map((r) => r.cpuPerGB)),
        peakRss,
      })
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
    console.log('connections | bare pipe() MB/s | socklab relay MB/s | ratio | CPU s/GB bare | CPU s/GB socklab | gateway RSS peak')
    for (const r of rows) {
      console.log(
        [
          String(r.connections).padStart(11),
          mb(r.bareRate).padStart(16),
          mb(r.socklabRate).padStart(18),
          `${(r.socklabRate / r.bareRate).toFixed(2)}×`.padStart(5),
          r.bareCpu.toFixed(2).padStart(13),
          r.socklabCpu.toFixed(2).padStart(16),
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
