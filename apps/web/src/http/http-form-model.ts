/** The create form of the static HTTP server. `fixed` present = fixed-response mode; absent = serve the folder. */
export interface HttpStaticFormModel {
  host: string
  port: number | ''
  folder: string
  fixed?: { status: number | ''; contentType: string; body: string }
  headersTimeoutMs: number | ''
  keepAliveTimeoutMs: number | ''
}

export const httpDefaults = (): HttpStaticFormModel => ({
  host: '127.0.0.1',
  port: 0,
  folder: '',
  headersTimeoutMs: '',
  keepAliveTimeoutMs: '',
})

/** What the tutorials' one-line web server answers. */
export const tutorialFixed = () => ({ status: 200 as number | '', contentType: 'text/plain; charset=utf-8', body: 'hello world' })
