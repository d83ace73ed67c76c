import type { FeatureMessages } from '../i18n/index.ts'

export default {
  en: {
    files: {
      title: 'Files',
      where: 'Folder',
      refresh: 'Refresh',
      upload: 'Upload files…',
      newFolder: 'new folder name',
      open: 'Open',
      empty: 'Nothing here yet: upload a file, or let a client upload one.',
      download: 'Download to this computer',
      delete: 'Delete',
      incomplete: 'incomplete',
    },
  },
  'zh-CN': {
    files: {
      title: '文件区',
      where: '文件夹',
      refresh: '刷新',
      upload: '上传文件…',
      newFolder: '新文件夹名',
      open: '打开',
      empty: '这里还没有文件：上传一个，或让客户端上传。',
      download: '下载到本机',
      delete: '删除',
      incomplete: '不完整',
    },
  },
} satisfies FeatureMessages
