// The API client: JSON in and out, the caller's headers added, errors as
// ApiError {status, code, message}. Every answer's Date header feeds the
// clock offset (clock.js), so codes are fresh even when the device's clock
// drifts.
import { noteServerDate } from './clock.js'

export class ApiError extends Error {
  constructor (status, code, message, requestId) {
    super(message)
    this.status = status
    this.code = code
    this.requestId = requestId
  }
}

// headers: a function returning the headers of the current caller
// (session, terminal key, staff session), asked at each request.
export function createApi ({ headers = () => ({}), onUnauthenticated } = {}) {
  async function request (method, path, body) {
    const init = { method, headers: { Accept: 'application/json', ...headers() }, cache: 'no-store' }
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    const sentAt = Date.now()
    let response
    try {
      response = await fetch(path, init)
    } catch {
      throw new ApiError(0, 'network', 'network unreachable')
    }
    noteServerDate(response.headers.get('Date'), sentAt, Date.now())
    const data = await readJson(response)
    if (response.ok) return data
    const error = data?.error ?? {}
    const failure = new ApiError(response.status, error.code ?? `http_${response.status}`,
      error.message ?? response.statusText, error.request_id)
    failure.details = error
    if (response.status === 401 && onUnauthenticated) onUnauthenticated(failure)
    throw failure
  }
  return {
    get: (path) => request('GET', path),
    post: (path, body = {}) => request('POST', path, body),
    del: (path) => request('DELETE', path)
  }
}

async function readJson (response) {
  const text = await response.text()
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
