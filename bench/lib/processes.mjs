// Shared by the benchmarks: start the built gateway and baseline servers as child processes on 127.0.0.1:0,
// watch their memory, talk to the REST API and the live WebSocket feed. Loopback only, everything closed after.
import { fork, spawn } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
// BENCH_GATEWAY_ENTRY lets a profiling session point at another build without touching dist/.
export const GATEWAY_ENTRY = process.env.BENCH_GATEWAY_ENTRY || path.join(ROOT, 'apps/gateway/dist/server.js')

// `ws` is a dependency of the gateway package, not of the root; resolve it from there.
export const WebSocket = createRequire(path.join(ROOT, 'apps/gateway/package.json'))('ws')

/** Spawn a Node child and resolve once a line of its stdout matches `ready` (the match is returned). */
export function spawnNode(args, { env = {}, ready, what, timeoutMs = 15_000 }) {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d))
  child.stderr.setEncoding('utf8').on('data', (d) => (out += d))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`${what} did not start within ${timeoutMs} ms:\n${out}`))
    }, timeoutMs)
    const onData = () => {
      const m = out.match(ready)
      if (!m) return
      clearTimeout(timer)
      child.stdout.off('data', onData)
      resolve({ child, match: m, output: () => out, stop })
    }
    child.stdout.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${what} exited with ${code}:\n${out}`))
    })
  })
}

/**
 * The built gateway (`pnpm build` first), auth off (loopback only), with its own temporary data folder.
 * `nodeArgs` (e.g. ['--cpu-prof']) go to node itself, for profiling a run.
 */
export async function startGateway(env = {}, nodeArgs = []) {
  if (!fs.existsSync(GATEWAY_ENTRY)) throw new Error(`${GATEWAY_ENTRY} is missing: run \`pnpm build\` (or \`pnpm bench\`, which builds first)`)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'socklab-bench-'))
  const proc = await spawnNode([...nodeArgs, GATEWAY_ENTRY], {
    env: { SOCKLAB_HOST: '127.0.0.1', SOCKLAB_PORT: '0', SOCKLAB_DATA: dataDir, SOCKLAB_AUTH: 'off', SOCKLAB_LOG_LEVEL: 'warn', ...env },
    ready: /socklab listening on (http:\/\/\S+?)\/?\s/,
    what: 'the socklab gateway',
  })
  const url = proc.match[1]
  return {
    ...proc,
    url,
    wsUrl: url.replace(/^http/, 'ws') + '/api/events',
    async api(method, urlPath, body) {
      const res = await fetch(url + urlPath, {
        method,
        headers: body !== undefined ? { 'content-type': 'application/json' } : {},
        body: body !== undefined ? JSON.stringify(body) : undefined,
      })
      const text = await res.text()
      const parsed = text ? JSON.parse(text) : undefined
      if (res.status >= 400) throw new Error(`${method} ${urlPath} → ${res.status} ${text}`)
      return parsed
    },
    async stop() {
      await proc.stop()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A Node program given as source, run as a child that prints its port first (the baseline servers). */
export async function startNodeServer(source, what) {
  const proc = await spawnNode(['--input-type=module', '-e', source], { ready: /^(\d+)\s*$/m, what })
  return { ...proc, port: Number(proc.match[1]) }
}

/** Resident memory of a process from /proc (kB → bytes): current and peak (VmHWM, since the process started). */
export function memoryOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN) * 1024
    return { rss: kb('VmRSS'), peak: kb('VmHWM') }
  } catch {
    return { rss: NaN, peak: NaN }
  }
}

/** Sample a process's RSS every `everyMs` until stopped; returns the highest seen. */
export function watchMemory(pid, everyMs = 100) {
  let peak = memoryOf(pid).rss
  const timer = setInterval(() => (peak = Math.max(peak, memoryOf(pid).rss)), everyMs)
  return {
    stop() {
      clearInterval(timer)
      return Math.max(peak, memoryOf(pid).rss)
    },
  }
}

/**
 * A live viewer of /api/events that reads and parses every message, as the panel does, and counts events
 * (and the events it was told it missed, in `gap` messages).
 */
export function openViewer(wsUrl) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl)
    const viewer = { ws, events: 0, missed: 0, messages: 0, lastSeq: 0, bytes: 0 }
    ws.on('message', (raw) => {
      viewer.messages++
      viewer.bytes += raw.length
      const msg = JSON.parse(raw.toString())
      if (msg.type === 'events') {
        viewer.events += msg.events.length
        viewer.lastSeq = msg.events.at(-1)?.seq ?? viewer.lastSeq
      } else if (msg.type === 'gap') viewer.missed += msg.missed
    })
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'hello' }))
      resolve(viewer)
    })
    ws.once('error', reject)
    viewer.close = () =>
      new Promise((r) => {
        if (ws.readyState === WebSocket.CLOSED) return r()
        ws.once('close', r)
        ws.close()
      })
  })
}

/** openViewer() in a child process; `count()` asks it how many events (and missed) it has seen so far. */
export function startViewerProcess(wsUrl) {
  const child = fork(path.join(ROOT, 'bench/lib/viewer-process.mjs'), [wsUrl], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const next = () => new Promise((resolve) => child.once('message', resolve))
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the viewer process exited with ${code}`)))
    child.once('message', () =>
      resolve({
        child,
        async count() {
          const reply = next()
          child.send('count')
          return reply
        },
        async close() {
          if (child.connected) child.send('close')
          await exited
        },
      }),
    )
  })
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (100 Hz on Linux)
  } catch {
    return NaN
  }
}

export const mb = (bytes) => (bytes / 1e6).toFixed(1)
export const mib = (bytes) => (bytes / 1024 / 1024).toFixed(0)
