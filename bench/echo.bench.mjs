// TCP echo throughput: a socklab tcp-server (auto-reply echo, every chunk recorded as an event, one live
// WebSocket viewer reading the feed in its own process, like a browser tab) next to a bare Node echo server
// (`s.pipe(s)`), both as child processes, driven by the same load generator here. Prints MB/s for each, the
// ratio, the servers' CPU use, the gateway's peak memory and the events per second the viewer received.
//
//   node bench/echo.bench.mjs            (after `pnpm build`; `pnpm bench` does both)
//   BENCH_SECONDS=5 BENCH_ROUNDS=5 node bench/echo.bench.mjs   (longer, more rounds on a busy machine)
import os from 'node:os'
import { BARE_ECHO, CHUNK, CONNECTIONS, echoLoad, median, ROUNDS, SECONDS, TARGET, WARMUP_MS } from './lib/echo-load.mjs'
import { cpuSecondsOf, memoryOf, mb, mib, startGateway, startNodeServer, startViewerProcess, watchMemory } from './lib/processes.mjs'

/** CPU seconds a process used over a window, per GB echoed, and as a share of one core. */
function cpuMeter(pid) {
  let at = 0
  return {
    start: () => (at = cpuSecondsOf(pid)),
    stop: (seconds, bytesPerSecond) => {
      const used = cpuSecondsOf(pid) - at
      return { share: used / seconds, perGB: used / ((bytesPerSecond * seconds) / 1e9) }
    },
  }
}

async function main() {
  console.log(
    `TCP echo: ${CHUNK / 1024} KiB chunks, ${SECONDS} s per run after ${WARMUP_MS} ms warm-up, ${ROUNDS} alternating rounds, 127.0.0.1 only` +
      ` (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`,
  )
  const bare = await startNodeServer(BARE_ECHO, 'the bare Node echo server')
  const gateway = await startGateway()
  const viewer = await startViewerProcess(gateway.wsUrl)
  const rows = []
  try {
    for (const connections of CONNECTIONS) {
      const runs = { bare: [], socklab: [] }
      for (let round = 0; round < ROUNDS; round++) {
        const bareCpu = cpuMeter(bare.child.pid)
        let bareStop
        const { rate: bareRate } = await echoLoad(bare.port, connections, { start: bareCpu.start, end: (s) => (bareStop = s) })
        runs.bare.push({ rate: bareRate, ...bareCpu.stop(bareStop, bareRate) })

        const endpoint = await gateway.api('POST', '/api/endpoints', { kind: 'tcp-server', port: 0, reply: { mode: 'echo' } })
        const memory = watchMemory(gateway.child.pid)
        const gatewayCpu = cpuMeter(gateway.child.pid)
        let before
        let after
        let seconds = 1
        // The viewer is asked for its counts at both ends of the window (its answers arrive a moment later).
        const { rate } = await echoLoad(endpoint.local.port, connections, {
          start: () => {
            gatewayCpu.start()
            before = viewer.count()
          },
          end: (s) => {
            seconds = s
            after = viewer.count()
          },
        })
        const cpu = gatewayCpu.stop(seconds, rate)
        const [b, a] = [await before, await after]
        runs.socklab.push({
          rate,
          ...cpu,
          peakRss: memory.stop(),
          eventsPerSecond: (a.events - b.events) / seconds,
          missedPerSecond: (a.missed - b.missed) / seconds,
        })
        await gateway.api('DELETE', `/api/endpoints/${endpoint.id}`)
      }
      // Best of the rounds for speed (the least disturbed run of each), median for CPU cost per GB.
      const best = (list) => list.reduce((x, y) => (y.rate > x.rate ? y : x))
      rows.push({
        connections,
        bare: best(runs.bare),
        socklab: best(runs.socklab),
        bareCpuPerGB: median(runs.bare.map((r) => r.perGB)),
        socklabCpuPerGB: median(runs.socklab.map((r) => r.perGB)),
        peakRss: Math.max(...runs.socklab.map((r) => r.peakRss)),
      })
    }
  } finally {
    const gatewayPeak = memoryOf(gateway.child.pid).peak
    const barePeak = memoryOf(bare.child.pid).peak
    await viewer.close()
    await gateway.stop()
    await bare.stop()
    console.log('')
    console.log('connections | bare node MB/s | socklab MB/s | ratio | CPU s per GB: bare / socklab | gateway RSS peak | viewer events/s (missed/s)')
    for (const r of rows) {
      console.log(
        [
          String(r.connections).padStart(11),
          mb(r.bare.rate).padStart(14),
          mb(r.socklab.rate).padStart(12),
          `${(r.socklab.rate / r.bare.rate).toFixed(2)}×`.padStart(5),
          `${r.bareCpuPerGB.toFixed(2)} / ${r.socklabCpuPerGB.toFixed(2)}`.padStart(29),
          `${mib(r.peakRss)} MiB`.padStart(16),
          `${Math.round(r.socklab.eventsPerSecond)} (${Math.round(r.socklab.missedPerSecond)})`.padStart(26),
        ].join(' | '),
      )
    }
    console.log(`peak RSS over the whole run (VmHWM): gateway ${mib(gatewayPeak)} MiB, bare echo ${mib(barePeak)} MiB; load average now ${os.loadavg()[0].toFixed(1)}`)
    const worst = Math.min(...rows.map((r) => r.socklab.rate / r.bare.rate))
    if (rows.length) console.log(`target socklab ≥ ${TARGET}× bare Node: ${worst >= TARGET ? 'met' : 'NOT met'} (worst ${worst.toFixed(2)}×)`)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
