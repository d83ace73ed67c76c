import type { FeatureMessages } from '../i18n/index.ts'

export default {
  en: {
    endpoints: {
      kinds: { 'http-static': 'HTTP server' },
      kindHelp: { 'http-static': 'Serve a folder of the files area over HTTP (or one fixed answer); see every request.' },
    },
    traffic: { origin: { http: 'http' } },
    http: {
      fields: {
        mode: 'Answer with',
        folder: 'Folder',
        folderHint: 'inside the files area; empty = the whole files area',
        status: 'Status',
        contentType: 'Content-Type',
        body: 'Body',
        headersTimeoutMs: 'Headers timeout (ms)',
        keepAliveTimeoutMs: 'Keep-alive timeout (ms)',
      },
      modes: { folder: 'files from a folder', fixed: 'one fixed response (like the tutorial server)' },
      servesFolder: 'serving',
      servesFixed: 'answering every request with {status}',
      requests: {
        title: 'Requests',
        none: 'No requests yet: open the link above.',
        time: 'Time',
        connection: 'Connection',
        request: 'Request',
        status: 'Status',
        bytes: 'Body',
        duration: 'Time taken',
        aborted: 'client left early',
        raw: 'raw bytes',
      },
    },
  },
  'zh-CN': {
    endpoints: {
      kinds: { 'http-static': 'HTTP 服务器' },
      kindHelp: { 'http-static': '用 HTTP 提供文件区里的一个文件夹（或固定响应）；看到每个请求。' },
    },
    traffic: { origin: { http: 'http' } },
    http: {
      fields: {
        mode: '响应方式',
        folder: '文件夹',
        folderHint: '文件区内的路径；留空 = 整个文件区',
        status: '状态码',
        contentType: 'Content-Type',
        body: '响应体',
        headersTimeoutMs: '请求头超时（毫秒）',
        keepAliveTimeoutMs: 'Keep-alive 超时（毫秒）',
      },
      modes: { folder: '提供文件夹中的文件', fixed: '固定响应（同教程里的服务器）' },
      servesFolder: '正在提供',
      servesFixed: '对每个请求都回应 {status}',
      requests: {
        title: '请求',
        none: '还没有请求：打开上面的链接。',
        time: '时间',
        connection: '连接',
        request: '请求',
        status: '状态',
        bytes: '响应体',
        duration: '耗时',
        aborted: '客户端提前离开',
        raw: '原始字节',
      },
    },
  },
} satisfies FeatureMessages
