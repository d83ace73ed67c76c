import { NOTES, NOTE_WORDS } from '@socklab/shared'
import type { FeatureMessages } from '../i18n/index.ts'

/** Every template of the shared table, with a string of its own (placeholders kept as they are). */
type Translations<T> = { [K in keyof T]: T[K] extends string ? string : Translations<T[K]> }

/**
 * The texts the gateway writes into note and fault events (`say.key` → `notes.<key>`). English is the
 * shared table itself, the same the gateway renders into `text`; here is the Chinese of each.
 */
const zh: Translations<typeof NOTES> & { words: Translations<typeof NOTE_WORDS> } = {
  server: {
    stopped: '已停止监听；已连接的客户端继续通信',
    refused: '拒绝了 {peer}：已有 {open} 个连接（上限 {limit}）；累计拒绝 {refused} 个',
    idleClosed: '已关闭 {conn}：空闲 {ms} 毫秒',
  },
  transfer: {
    stopped: '已停止监听；进行中的传输继续',
    sizeDigitsWereData: '文件头和文件的开头几个字节在同一块里到达（"0{separator}{digits}…"）：大小是 {size}，不是 {digits}',
  },
  http: {
    refused: '拒绝了 {peer}：已有 {open} 个连接（上限 {limit}）',
    idleClosed: '已关闭 {conn}：{ms} 毫秒内没有任何数据往来',
    fixed: '对每个请求都回答固定的 {status} 响应',
    serving: '提供 {folder} 里的文件',
    requestTimeout: '{status} {statusText}：请求没有按时到达（请求头须在 {headersMs} 毫秒内，整个请求须在 {requestMs} 毫秒内）；关闭 {conn}',
    headersTooLarge: '{status} {statusText}：请求头太大；关闭 {conn}',
    badRequest: '{status} {statusText}：不是有效的 HTTP：{error}；关闭 {conn}',
  },
  relay: {
    stopped: '已停止监听；现有的连接对继续转发',
    connected: '已从本地端口 {localPort} 连接到目标 {target}',
    clientFin: '客户端发送了 FIN；已转给目标（目标→客户端方向继续传输）',
    targetFin: '目标发送了 FIN；已转给客户端（客户端→目标方向继续传输）',
    clientReset: '客户端重置了连接；已把 RST 转给目标',
    targetReset: '目标重置了连接；已把 RST 转给客户端',
    faultsOff: '{way}：故障已关闭，字节直接通过',
    droppedInAll: '{way}：共丢弃 {bytes} 字节',
    refusing: '拒绝新连接（每个都收到 RST）',
    accepting: '重新接受新连接',
    latency: '{way}：每块数据延迟 {ms} 毫秒',
    bandwidth: '{way}：限速 {rate}',
    coalesce: '{way}：{ms} 毫秒内到达的数据块合并成一次写入（粘包）',
    split: '{way}：每次写入拆成 {bytes} 字节的小块，间隔 {gapMs} 毫秒（拆包）',
    refusedByFault: '已向 {peer} 发送 RST：中继拒绝新连接（故障）',
    refusedAtLimit: '已向 {peer} 发送 RST：已有 {open} 个连接对（上限 {limit}）',
    dropped: '{way}：丢弃了 {bytes} 字节，{side}一端已关闭',
    cutFin: '已向{side}发送 FIN；此后 {way} 的字节都被丢弃',
    cutRst: '已向{side}发送 RST；另一端收到 FIN',
  },
  words: {
    way: { toTarget: '客户端→目标', toClient: '目标→客户端' },
    side: { client: '客户端', target: '目标' },
  },
}

export default {
  en: { notes: { ...NOTES, words: NOTE_WORDS } },
  'zh-CN': { notes: zh },
} satisfies FeatureMessages
