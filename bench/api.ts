/**
 * The bench's calls to the service, as any API client makes them: JSON in, JSON out
 * (undefined for 204), and a thrown error naming the answer when it is not a 2xx.
 */
export function apiAs(base: string, token: string) {
  return async (method: string, path: string, body?: object): Promise<Record<string, unknown>> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    })
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`)
    return (res.status === 204 ? {} : await res.json()) as Record<string, unknown>
  }
}
