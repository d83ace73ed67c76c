// Shared by the throughput benchmarks: the load generator and the settings every run prints.
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
// Alternating rounds: one disturbed run does not decide the ratio.
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
export const WARMUP_MS = 500
export const CHUNK = 16 * 1024
export const CONNECTIONS = [1, 16]
export const TARGET = 0.8

/** A bare Node echo server, as a child program: prints its port, echoes with `s.pipe(s)`. */
export const BARE_ECHO = `
import net from 'node:net'
const server = net.createServer((s) => {
  s.on('error', () => {}) // a load generator hanging up must not end the baseline
  s.pipe(s)
})
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
process.on('SIGTERM', () => process.exit(0))
`

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * Keep `connections` sockets busy writing 16 KiB chunks (respecting backpressure) to 127.0.0.1:`port` and
 * count the bytes echoed back over SECONDS, after a warm-up. `during.start()` and `during.end(seconds)` run
 * at the edges of the measured window. Returns { rate (bytes per second), bytes, seconds }; every socket
 * is closed afterwards.
 */
export async function echoLoad(port, connections, during = {}) {
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
  return { rate: bytes / seconds, bytes, seconds }
}
