import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const GATEWAY_ENTRY = path.join(repo, 'apps/gateway/dist/server.js')

export interface GatewayProcess {
  url: string
  dataDir: string
  child: ChildProcess
  output: () => string
  stop(): Promise<void>
}

/** The built gateway (`pnpm build` first) as a real process on 127.0.0.1:0, serving the built panel. */
export async function spawnGateway(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const dataDir = env.SOCKLAB_DATA ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'socklab-e2e-')))
  const child = spawn(process.execPath, [GATEWAY_ENTRY], {
    // Auth is on by default in the product; tests opt in by passing SOCKLAB_AUTH=on (test/security does).
    env: { ...process.env, SOCKLAB_HOST: '127.0.0.1', SOCKLAB_PORT: '0', SOCKLAB_DATA: dataDir, SOCKLAB_AUTH: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const m = out.match(/socklab listening on (http:\/\/\S+?)\/?\s/)
      if (m) resolve(m[1]!)
    }
    child.stdout!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${out}`)))
  })
  return {
    url,
    dataDir,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      if (!env.SOCKLAB_DATA) await fs.rm(dataDir, { recursive: true, force: true })
    },
  }
}
