/**
 * A hostile web page for tests: 200,000 nested `<div>`s (1.2 MB). Readability on it runs for many minutes
 * on one core, so it shows whether extraction is bounded in time and stoppable. Generated, never stored.
 */
export const NESTED_DIVS = 200_000

export const pathologicalPageHtml = (depth: number = NESTED_DIVS): string =>
  `<!doctype html><html lang="en"><head><title>nested</title></head><body>${"<div>\n".repeat(depth)}<p>The bottom of a very deep page.</p></body></html>`

export const pathologicalPage = (depth?: number): Uint8Array => new TextEncoder().encode(pathologicalPageHtml(depth))
