/** What a timed resend sends to, in words: "all clients", "the connection", or its connection id / host:port. */
export function repeatTargetLabel(target: string, t: (key: string) => string): string {
  if (target === 'all') return t('send.allClientsShort')
  return target === 'connection' ? t('send.theConnection') : target
}
