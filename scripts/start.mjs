// `pnpm start`: build whatever is missing, then run the gateway serving the built panel.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const server = path.join(root, 'apps/gateway/dist/server.js')
const panel = path.join(root, 'apps/web/dist/index.html')

if (!fs.existsSync(server) || !fs.existsSync(panel) || process.env.SOCKLAB_REBUILD === '1') {
  console.log('socklab: building the gateway and the panel first…')
  const built = spawnSync('pnpm', ['build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })
  if (built.status !== 0) process.exit(built.status ?? 1)
}

const child = spawn(process.execPath, [server], { cwd: root, stdio: 'inherit', env: process.env })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
