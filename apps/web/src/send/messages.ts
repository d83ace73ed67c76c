import type { FeatureMessages } from '../i18n/index.ts'

export default {
  en: {
    send: {
      title: 'Send',
      target: 'To',
      allClients: 'all clients ({n})',
      notOpen: 'not open',
      toHost: 'To host',
      toPort: 'To port',
      encoding: 'Encoding',
      lineEnding: 'Line ending',
      lineEndings: { none: 'none', lf: 'LF (\\n)', crlf: 'CRLF (\\r\\n)' },
      data: 'Data',
      placeholder: 'Type a message…',
      send: 'Send',
      byteCount: '{n} bytes',
      enterHint: 'Enter sends, Shift+Enter adds a line.',
      sent: 'Sent {n} bytes to {c} connection(s).',
      sentDatagram: 'Sent a datagram of {n} bytes.',
    },
  },
  'zh-CN': {
    send: {
      title: '发送',
      target: '发给',
      allClients: '所有客户端（{n}）',
      notOpen: '未连接',
      toHost: '目标主机',
      toPort: '目标端口',
      encoding: '编码',
      lineEnding: '行尾',
      lineEndings: { none: '无', lf: 'LF (\\n)', crlf: 'CRLF (\\r\\n)' },
      data: '数据',
      placeholder: '输入消息…',
      send: '发送',
      byteCount: '{n} 字节',
      enterHint: '回车发送，Shift+回车换行。',
      sent: '已发送 {n} 字节到 {c} 个连接。',
      sentDatagram: '已发送 {n} 字节的数据报。',
    },
  },
} satisfies FeatureMessages
