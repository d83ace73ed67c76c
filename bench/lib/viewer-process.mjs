// A live viewer of /api/events in its own process (as a browser tab would be): reads and parses every
// message and reports its counts to the parent over IPC when asked. Started by startViewerProcess().
import { openViewer } from './processes.mjs'

const viewer = await openViewer(process.argv[2])
process.on('message', async (msg) => {
  if (msg === 'count') process.send({ events: viewer.events, missed: viewer.missed, bytes: viewer.bytes, messages: viewer.messages })
  if (msg === 'close') {
    await viewer.close()
    process.disconnect()
  }
})
process.send('ready')
